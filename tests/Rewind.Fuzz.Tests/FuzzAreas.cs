namespace Rewind.Fuzz.Tests;

/// <summary>
/// One collection: the areas run one after another, so that on a small machine each input's time
/// bound measures the code under test, not the other areas competing for the cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FuzzAreas
{
    public const string Name = "fuzz";
}
