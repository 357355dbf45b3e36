using System.Buffers.Binary;
using Rewind.Core.State;

namespace Rewind.Core.Tests;

public class StateSectionsTests
{
    /// <summary>A part that was never told about versions: it gets IStateful's defaults.</summary>
    private sealed class Plain(byte value = 0) : IStateful
    {
        public byte Value = value;
        public void SaveState(BinaryWriter w) => w.Write(Value);
        public void LoadState(BinaryReader r) => Value = r.ReadByte();
    }

    private static byte[] Save(params (string, IStateful)[] parts)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms)) StateSections.Write(w, parts);
        return ms.ToArray();
    }

    [Fact]
    public void Sections_round_trip_and_list_name_version_and_length()
    {
        byte[] data = Save(("hart0", new VersionedPart(2, 5)), ("uart0", new Plain(9)));
        var dir = StateSections.ReadDirectory(data);
        Assert.Equal([("hart0", 2, 12), ("uart0", 1, 1)], dir.Select(d => (d.Name, d.Version, d.Length)));
        var p = new VersionedPart(2);
        var q = new Plain();
        var report = StateSections.Load(data, [("hart0", p), ("uart0", q)]);
        Assert.Equal((5UL, 9), (p.A, q.Value));
        Assert.Empty(report.Skipped);
        Assert.Empty(report.Missing);
    }

    [Fact]
    public void A_plain_part_is_version_1_and_writes_exactly_its_SaveState_bytes()
    {
        byte[] data = Save(("test", new Plain(0x5a)));
        // count, name length, "test", version 1, length 1, the byte.
        Assert.Equal("01000000" + "04" + "74657374" + "01000000" + "01000000" + "5A", Convert.ToHexString(data));
    }

    [Fact]
    public void An_unknown_section_is_skipped_and_the_others_still_load()
    {
        byte[] data = Save(("clint", new Plain(1)), ("newdev", new VersionedPart(2, 99)), ("plic", new Plain(2)));
        var clint = new Plain();
        var plic = new Plain();
        var report = StateSections.Load(data, [("clint", clint), ("plic", plic)]);
        Assert.Equal((1, 2), (clint.Value, plic.Value));
        Assert.Equal(["newdev"], report.Skipped);
    }

    [Fact]
    public void A_part_missing_from_the_state_keeps_its_state_and_is_reported()
    {
        byte[] data = Save(("clint", new Plain(1)));
        var added = new VersionedPart(1, 0xabc);
        var report = StateSections.Load(data, [("clint", new Plain()), ("added", added)]);
        Assert.Equal(0xabcUL, added.A);
        Assert.Equal(["added"], report.Missing);
    }

    [Fact]
    public void A_section_of_an_older_version_is_mapped_forward_by_the_part()
    {
        byte[] data = Save(("hart0", new VersionedPart(1, 42)));
        var now = new VersionedPart(2) { B = 1234 };
        StateSections.Load(data, [("hart0", now)]);
        Assert.Equal(42UL, now.A);
        Assert.Equal(7U, now.B); // the field version 1 lacked takes its reset value
    }

    [Fact]
    public void A_part_can_still_write_an_older_version_for_old_digests()
    {
        var part = new VersionedPart(2, 3) { B = 99 };
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms)) StateSections.WriteSection(w, "hart0", 1, part);
        var dir = StateSections.ReadDirectory([1, 0, 0, 0, .. ms.ToArray()]);
        Assert.Equal(("hart0", 1, 8), (dir[0].Name, dir[0].Version, dir[0].Length));
    }

    [Fact]
    public void Sections_are_found_by_name_whatever_the_order()
    {
        byte[] data = Save(("b", new Plain(2)), ("a", new Plain(1)));
        var a = new Plain();
        var b = new Plain();
        StateSections.Load(data, [("a", a), ("b", b)]);
        Assert.Equal((1, 2), (a.Value, b.Value));
    }

    [Fact]
    public void A_version_newer_than_the_part_reads_is_refused()
    {
        byte[] data = Save(("hart0", new VersionedPart(3)));
        var e = Assert.Throws<InvalidDataException>(() => StateSections.Load(data, [("hart0", new VersionedPart(2))]));
        Assert.Contains("'hart0' is version 3", e.Message);
        Assert.Throws<InvalidDataException>(() => StateSections.Load(data, [("hart0", new Plain())]));
    }

    [Fact]
    public void A_loader_that_does_not_read_exactly_its_section_is_refused()
    {
        byte[] data = Save(("x", new VersionedPart(2)));
        var e = Assert.Throws<InvalidDataException>(() => StateSections.Load(data, [("x", new VersionedPart(1))]));
        Assert.Contains("version 2", e.Message); // VersionedPart(1) cannot read version 2
        byte[] plain = Save(("x", new VersionedPart(1)));
        e = Assert.Throws<InvalidDataException>(() => StateSections.Load(plain, [("x", new Plain())]));
        Assert.Contains("holds 8 bytes but its loader read 1", e.Message);
    }

    [Fact]
    public void Damaged_containers_throw_invalid_data_and_never_overrun()
    {
        byte[] data = Save(("clint", new Plain(1)), ("plic", new VersionedPart(1)));
        for (int cut = 0; cut < data.Length; cut++)
            Assert.Throws<InvalidDataException>(() => StateSections.Load(data[..cut], [("clint", new Plain()), ("plic", new VersionedPart(1))]));
        var bad = (byte[])data.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bad, 1_000_000);
        Assert.Throws<InvalidDataException>(() => StateSections.ReadDirectory(bad));
        Assert.Throws<InvalidDataException>(() => StateSections.Load([.. data, 0], [("clint", new Plain()), ("plic", new VersionedPart(1))]));
        byte[] twice = Save(("a", new Plain()), ("a", new Plain()));
        Assert.Throws<InvalidDataException>(() => StateSections.Load(twice, [("a", new Plain())]));
    }

    [Theory]
    [InlineData("hart0", true)]
    [InlineData("uart0", true)]
    [InlineData("virtio-mmio.3", true)]
    [InlineData("", false)]
    [InlineData("0hart", false)]
    [InlineData("Hart0", false)]
    [InlineData("a b", false)]
    public void Section_names_are_lower_case_ascii_starting_with_a_letter(string name, bool valid)
    {
        Assert.Equal(valid, StateSections.IsValidName(name));
    }

    [Fact]
    public void Two_parts_with_one_name_are_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => StateSections.CheckNames([("rtc", new Plain()), ("rtc", new Plain())]));
        Assert.Contains("'rtc'", e.Message);
    }
}
