namespace Rewind.Core.State;

/// <summary>
/// Guest-visible state that a snapshot must capture. Save then Load on a freshly built machine of the
/// same configuration must give back a machine that runs identically.
/// </summary>
public interface IStateful
{
    void SaveState(BinaryWriter writer);
    void LoadState(BinaryReader reader);
}
