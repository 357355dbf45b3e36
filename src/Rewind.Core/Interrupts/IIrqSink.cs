namespace Rewind.Core.Interrupts;

/// <summary>A level-triggered interrupt input, such as a PLIC source.</summary>
public interface IIrqSink
{
    void SetIrq(int line, bool level);
}

/// <summary>Connects one device to one input line of an interrupt controller.</summary>
public sealed class IrqLine(IIrqSink sink, int line)
{
    private bool _level;
    public bool Level => _level;

    public void Set(bool level)
    {
        if (level == _level) return;
        _level = level;
        sink.SetIrq(line, level);
    }
}
