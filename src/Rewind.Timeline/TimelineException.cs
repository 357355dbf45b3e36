namespace Rewind.Timeline;

/// <summary>Something the timeline cannot do (a port in use, a recording it cannot read); the message is one line.</summary>
public sealed class TimelineException(string message) : Exception(message);
