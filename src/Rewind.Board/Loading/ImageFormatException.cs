namespace Rewind.Board.Loading;

/// <summary>A file is not an image this machine can load; the message says why in one line.</summary>
public sealed class ImageFormatException(string message) : Exception(message);

/// <summary>An image is well formed but does not fit the machine's memory map.</summary>
public sealed class ImageLoadException(string message) : Exception(message);
