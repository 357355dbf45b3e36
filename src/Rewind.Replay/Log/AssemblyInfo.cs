using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Rewind.Replay.Tests")]
