using Rewind.Core.Cpu;
using Rewind.Core.Memory;

namespace Rewind.Arm64.Tests;

/// <summary>
/// FEAT_LSE atomics. The expected values were printed by qemu-system-aarch64 7.2 -cpu max running the
/// same instructions on the same registers and memory in a bare-metal guest: the cases are in
/// QemuProbe/atomics.txt and `python3 QemuProbe/probe.py QemuProbe/atomics.txt` prints these lines.
/// The MMU, watchpoint and dirty-page cases follow the same rule (the load then the store of QEMU's
/// single-threaded atomics) and are checked here directly.
/// </summary>
public class AtomicTests
{
    [Theory]
    [InlineData("ldadd x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x0899aabbccddef00,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8210122u)]
    [InlineData("ldaddal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabb4cddef00,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e10122u)]
    [InlineData("ldaddah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccdd6efd,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a10122u)]
    [InlineData("ldaddlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeefe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38610122u)]
    [InlineData("ldclr x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x0899aabbccddeefe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8211122u)]
    [InlineData("ldclral w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabb4cddeefe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e11122u)]
    [InlineData("ldclrah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccdd8001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a11122u)]
    [InlineData("ldclrlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddee00,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38611122u)]
    [InlineData("ldeor x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x0899aabbccddeefe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8212122u)]
    [InlineData("ldeoral w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabb4cddeefe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e12122u)]
    [InlineData("ldeorah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccdd9101,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a12122u)]
    [InlineData("ldeorlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddee00,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38612122u)]
    [InlineData("ldset x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8213122u)]
    [InlineData("ldsetal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e13122u)]
    [InlineData("ldsetah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccddffff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a13122u)]
    [InlineData("ldsetlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38613122u)]
    [InlineData("ldsmax x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8214122u)]
    [InlineData("ldsmaxal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e14122u)]
    [InlineData("ldsmaxah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccdd7ffe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a14122u)]
    [InlineData("ldsmaxlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38614122u)]
    [InlineData("ldsmin x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x8000000000000001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8215122u)]
    [InlineData("ldsminal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabb80000001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e15122u)]
    [InlineData("ldsminah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a15122u)]
    [InlineData("ldsminlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38615122u)]
    [InlineData("ldumax x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8216122u)]
    [InlineData("ldumaxal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e16122u)]
    [InlineData("ldumaxah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a16122u)]
    [InlineData("ldumaxlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38616122u)]
    [InlineData("ldumin x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x8000000000000001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8217122u)]
    [InlineData("lduminal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabb80000001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e17122u)]
    [InlineData("lduminah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccdd7ffe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a17122u)]
    [InlineData("lduminlb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38617122u)]
    [InlineData("swp x1, x2, [x9]", "x1=0x8000000000000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8000000000000001 x2=0x8899aabbccddeeff mem=0x8000000000000001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8218122u)]
    [InlineData("swpal w1, w2, [x9]", "x1=0xffffffff80000001 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0xffffffff80000001 x2=0x00000000ccddeeff mem=0x8899aabb80000001,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xb8e18122u)]
    [InlineData("swpah w1, w2, [x9]", "x1=0x7ffe x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000007ffe x2=0x000000000000eeff mem=0x8899aabbccdd7ffe,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x78a18122u)]
    [InlineData("swplb w1, w2, [x9]", "x1=0x1ff x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000001ff x2=0x00000000000000ff mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x38618122u)]
    [InlineData("staddl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0xf899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861013fu)]
    [InlineData("stclrl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861113fu)]
    [InlineData("steorl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0xf899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861213fu)]
    [InlineData("stsetl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0xf899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861313fu)]
    [InlineData("stsmaxl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0x7000000000000000,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861413fu)]
    [InlineData("stsminl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861513fu)]
    [InlineData("stumaxl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861613fu)]
    [InlineData("stuminl x1, [x9]", "x1=0x7000000000000000 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x7000000000000000 mem=0x7000000000000000,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf861713fu)]
    [InlineData("ldsmaxb w1, w2, [x9]", "x1=0x80 x2=0x5555 mem=0x7f", "x2=0x000000000000007f mem=0x000000000000007f,0x0000000000000000,0x0000000000000000,0x0000000000000000", 0x38214122u)]
    [InlineData("ldsminh w1, w2, [x9]", "x1=0x7fff x2=0x5555 mem=0x8000", "x2=0x0000000000008000 mem=0x0000000000008000,0x0000000000000000,0x0000000000000000,0x0000000000000000", 0x78215122u)]
    [InlineData("ldumin w1, w2, [x9]", "x1=0x1 x2=0x5555 mem=0x80000000", "x2=0x0000000080000000 mem=0x0000000000000001,0x0000000000000000,0x0000000000000000,0x0000000000000000", 0xb8217122u)]
    [InlineData("ldadda x1, x1, [x9]", "x1=0x10 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff mem=0x8899aabbccddef0f,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8a10121u)]
    [InlineData("ldaddb w1, w2, [x9, #0]; add x9, x9, #8; ldaddh w1, w3, [x9]; sub x9, x9, #8", "x1=0xffff mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x000000000000ffff x2=0x00000000000000ff x3=0x000000000000cdef x9=0x0000000000000000 mem=0x8899aabbccddeefe,0x0123456789abcdee,0xfedcba9876543210,0x7f00ff0080007fff", 0x38210122u, 0x91002129u, 0x78210123u, 0xd1002129u)]
    [InlineData("swpa x1, xzr, [x9]", "x1=0x1234 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000001234 mem=0x0000000000001234,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xf8a1813fu)]
    [InlineData("add x9, x9, #2; ldaddh w1, w2, [x9]; sub x9, x9, #2", "x1=0x1 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x000000000000ccdd mem=0x8899aabbccdeeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x91000929u, 0x78210122u, 0xd1000929u)]
    [InlineData("add x9, x9, #1; ldadd w1, w2, [x9]; sub x9, x9, #1", "x1=0x1 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x0000000000005555 esr=0x0000000096000021 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x91000529u, 0xb8210122u, 0xd1000529u)]
    [InlineData("add x9, x9, #4; swp x1, x2, [x9]; sub x9, x9, #4", "x1=0x1 x2=0x5555 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x0000000000005555 esr=0x0000000096000021 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x91001129u, 0xf8218122u, 0xd1001129u)]
    [InlineData("cas x1, x2, [x9]", "x1=0x8899aabbccddeeff x2=0x42 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff x2=0x0000000000000042 mem=0x0000000000000042,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xc8a17d22u)]
    [InlineData("cas x1, x2, [x9]", "x1=0x8899aabbccddeefe x2=0x42 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff x2=0x0000000000000042 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xc8a17d22u)]
    [InlineData("casa w1, w2, [x9]", "x1=0xffffffffccddeeff x2=0x123456789 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000ccddeeff x2=0x0000000123456789 mem=0x8899aabb23456789,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x88e17d22u)]
    [InlineData("casl w1, w2, [x9]", "x1=0xccddeeff x2=0x123456789 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000ccddeeff x2=0x0000000123456789 mem=0x8899aabb23456789,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x88a1fd22u)]
    [InlineData("casalh w1, w2, [x9]", "x1=0xeeff x2=0x12345 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x000000000000eeff x2=0x0000000000012345 mem=0x8899aabbccdd2345,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x48e1fd22u)]
    [InlineData("casb w1, w2, [x9]", "x1=0x1ff x2=0x12345 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000000ff x2=0x0000000000012345 mem=0x8899aabbccddee45,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x08a17d22u)]
    [InlineData("casab w1, w2, [x9]", "x1=0xfe x2=0x12345 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x00000000000000ff x2=0x0000000000012345 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x08e17d22u)]
    [InlineData("cas x1, xzr, [x9]", "x1=0x8899aabbccddeeff mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff mem=0x0000000000000000,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xc8a17d3fu)]
    [InlineData("add x9, x9, #4; cas x1, x2, [x9]; sub x9, x9, #4", "x1=0x1 x2=0x2 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x0000000000000001 esr=0x0000000096000021 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x91001129u, 0xc8a17d22u, 0xd1001129u)]
    [InlineData("casp x2, x3, x4, x5, [x9]", "x2=0x8899aabbccddeeff x3=0x123456789abcdef x4=0x1111 x5=0x2222 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x8899aabbccddeeff x3=0x0123456789abcdef mem=0x0000000000001111,0x0000000000002222,0xfedcba9876543210,0x7f00ff0080007fff", 0x48227d24u)]
    [InlineData("caspal x2, x3, x4, x5, [x9]", "x2=0x8899aabbccddeeff x3=0x123456789abcde0 x4=0x1111 x5=0x2222 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x8899aabbccddeeff x3=0x0123456789abcdef mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x4862fd24u)]
    [InlineData("caspa w2, w3, w4, w5, [x9]", "x2=0xccddeeff x3=0x8899aabb x4=0xffffffff00001111 x5=0x2222 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x00000000ccddeeff x3=0x000000008899aabb mem=0x0000222200001111,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x08627d24u)]
    [InlineData("caspl w2, w3, w4, w5, [x9]", "x2=0xccddeeff x3=0x8899aaba x4=0x1111 x5=0x2222 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x00000000ccddeeff x3=0x000000008899aabb mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x0822fd24u)]
    [InlineData("add x9, x9, #8; casp x2, x3, x4, x5, [x9]; sub x9, x9, #8", "x2=0x1 x3=0x2 x4=0x3 x5=0x4 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x0000000000000001 x3=0x0000000000000002 esr=0x0000000096000021 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x91002129u, 0x48227d24u, 0xd1002129u)]
    [InlineData("add x9, x9, #4; casp w2, w3, w4, w5, [x9]; sub x9, x9, #4", "x2=0x1 x3=0x2 x4=0x3 x5=0x4 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x2=0x0000000000000001 x3=0x0000000000000002 esr=0x0000000096000021 mem=0x8899aabbccddeeff,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0x91001129u, 0x08227d24u, 0xd1001129u)]
    [InlineData("ldxr x1, [x9]; ldadd x2, x3, [x9]; stxr w4, x5, [x9]", "x2=0x1 x5=0x77 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff x3=0x8899aabbccddeeff x4=0x0000000000000001 mem=0x8899aabbccddef00,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xc85f7d21u, 0xf8220123u, 0xc8047d25u)]
    [InlineData("ldxr x1, [x9]; ldadd x2, x3, [x9]; stxr w4, x5, [x9]", "x2=0x0 x5=0x77 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff x3=0x8899aabbccddeeff x4=0x0000000000000000 mem=0x0000000000000077,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xc85f7d21u, 0xf8220123u, 0xc8047d25u)]
    [InlineData("ldxr x1, [x9]; stadd x2, [x9, #0]; add x9, x9, #8; stadd x2, [x9]; sub x9, x9, #8; stxr w4, x5, [x9]", "x2=0x1 x5=0x77 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff x4=0x0000000000000001 mem=0x8899aabbccddef00,0x0123456789abcdf0,0xfedcba9876543210,0x7f00ff0080007fff", 0xc85f7d21u, 0xf822013fu, 0x91002129u, 0xf822013fu, 0xd1002129u, 0xc8047d25u)]
    [InlineData("ldxr x1, [x9]; cas x2, x3, [x9]; stxr w4, x5, [x9]", "x2=0x0 x3=0x1 x5=0x77 mem=0x8899aabbccddeeff,0x123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", "x1=0x8899aabbccddeeff x2=0x8899aabbccddeeff x4=0x0000000000000000 mem=0x0000000000000077,0x0123456789abcdef,0xfedcba9876543210,0x7f00ff0080007fff", 0xc85f7d21u, 0xc8a27d23u, 0xc8047d25u)]
    public void Atomic_instruction_computes_what_qemu_computes(string assembly, string inputs, string expected, params uint[] program)
    {
        string fields = string.Join(' ', expected.Split(' ').Select(field => field[..field.IndexOf('=')]));
        string got = QemuProbe.Run(inputs, fields, program);
        Assert.True(expected == got, $"{assembly}:\n  qemu   {expected}\n  rewind {got}");
    }

    [Theory]
    [InlineData(0xf8210122u)] // ldadd x1, x2, [x9]
    [InlineData(0xc8a17d22u)] // cas x1, x2, [x9]
    [InlineData(0x48227d24u)] // casp x2, x3, x4, x5, [x9]
    public void Lse_is_undefined_on_cortex_models_as_in_qemu(uint insn)
    {
        foreach (var model in new[] { ArmCpuModel.CortexA53, ArmCpuModel.CortexA57, ArmCpuModel.CortexA72 })
        {
            var rig = CpuRig.ForModel(model, insn);
            rig.Cpu.SetX(9, QemuProbe.Buffer);
            rig.Step();
            Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
            Assert.Equal(0x0200_0000UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        }
    }

    [Theory]
    [InlineData(0x48237d24u)] // casp x3, x4, x4, x5, [x9]: odd first register
    [InlineData(0x48227d25u)] // casp x2, x3, x5, x6, [x9]: odd second pair
    [InlineData(0xc8a17522u)] // cas with Rt2 != 11111
    [InlineData(0xf8a1c122u)] // ldapr-like o3=1 opc=100 with Rs != 11111
    [InlineData(0xf8219122u)] // o3=1 opc=001: unallocated
    [InlineData(0x3c210122u)] // the atomic group with V = 1
    public void Reserved_atomic_encodings_are_undefined(uint insn)
    {
        var rig = new CpuRig(insn);
        rig.Cpu.SetX(9, QemuProbe.Buffer);
        rig.Step();
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(0x0200_0000UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
    }

    [Theory]
    [InlineData(ArmCpuModel.Max, 2UL)]
    [InlineData(ArmCpuModel.CortexA72, 0UL)]
    [InlineData(ArmCpuModel.CortexA57, 0UL)]
    [InlineData(ArmCpuModel.CortexA53, 0UL)]
    public void Id_aa64isar0_atomic_field_says_lse_as_qemu_models_do(ArmCpuModel model, ulong atomic)
    {
        var rig = CpuRig.ForModel(model, 0xd503201f);
        ulong isar0 = rig.SystemRegister(Arm64Cpu.SysReg.Isar0);
        Assert.Equal(atomic, (isar0 >> 20) & 15);
        Assert.Equal(1UL, (isar0 >> 16) & 15); // CRC32 stays
    }

    private const ulong DataVa = 0x10_0000, ReadOnlyVa = 0x10_1000, UnmappedVa = 0x10_2000;

    /// <summary>Code and vectors identity-mapped, a writable and a read-only data page, one page unmapped.</summary>
    private static CpuRig MappedRig(params uint[] program)
    {
        var rig = new CpuRig(program);
        var tables = new TranslationTables(rig, 12, 39);
        for (ulong off = 0; off < 0x10000; off += 0x1000) tables.Map(CpuRig.Ram + off, CpuRig.Ram + off);
        tables.Map(DataVa, QemuProbe.Buffer);
        tables.Map(ReadOnlyVa, QemuProbe.Buffer + 0x1000, TranslationTables.ReadOnly);
        tables.Enable();
        rig.Bus.TryWrite(QemuProbe.Buffer, 8, 100);
        rig.Bus.TryWrite(QemuProbe.Buffer + 0x1000, 8, 200);
        return rig;
    }

    [Theory]
    [InlineData(UnmappedVa, 0x96000007UL)] // translation fault, level 3, reported as the read
    [InlineData(ReadOnlyVa, 0x9600004fUL)] // permission fault, level 3, reported as the write
    public void Atomic_fault_reports_the_access_qemu_reports_and_changes_nothing(ulong va, ulong esr)
    {
        var rig = MappedRig(0xf8e18122u); // swpal x1, x2, [x9]
        rig.Cpu.SetX(1, 7);
        rig.Cpu.SetX(2, 0x5555);
        rig.Cpu.SetX(9, va);
        rig.Step();
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(esr, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        Assert.Equal(va, rig.SystemRegister(Arm64Cpu.SysReg.Far));
        Assert.Equal(CpuRig.Ram, rig.SystemRegister(Arm64Cpu.SysReg.Elr));
        Assert.Equal((7UL, 0x5555UL), (rig.Cpu.GetX(1), rig.Cpu.GetX(2)));
        Assert.Equal(200UL, rig.Read64(QemuProbe.Buffer + 0x1000));
    }

    [Fact]
    public void Failing_cas_on_a_read_only_page_faults_as_qemu_writes_the_old_value_back()
    {
        var rig = MappedRig(0xc8a17d22u); // cas x1, x2, [x9]
        rig.Cpu.SetX(1, 1); // not 200: the comparison fails
        rig.Cpu.SetX(9, ReadOnlyVa);
        rig.Step();
        Assert.Equal(0x9600004fUL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        Assert.Equal(1UL, rig.Cpu.GetX(1));
    }

    [Fact]
    public void Atomic_through_the_mmu_updates_the_physical_page_and_marks_it_dirty()
    {
        var rig = MappedRig(0xf8210122u); // ldadd x1, x2, [x9]
        rig.Cpu.SetX(1, 5);
        rig.Cpu.SetX(9, DataVa);
        rig.Memory.ClearDirty();
        rig.Step();
        Assert.Equal(100UL, rig.Cpu.GetX(2));
        Assert.Equal(105UL, rig.Read64(QemuProbe.Buffer));
        Assert.True(rig.Memory.IsDirty((int)((QemuProbe.Buffer - CpuRig.Ram) >> PhysicalMemory.PageShift)));
    }

    [Theory]
    [InlineData(WatchKind.Write)]
    [InlineData(WatchKind.Read)]
    [InlineData(WatchKind.Access)]
    public void Atomic_stops_at_read_and_write_watchpoints_before_changing_anything(WatchKind kind)
    {
        var rig = new CpuRig(0x38210122u); // ldaddb w1, w2, [x9]
        rig.Cpu.SetX(1, 1);
        rig.Cpu.SetX(9, QemuProbe.Buffer + 3);
        rig.Cpu.AddWatchpoint(new Watchpoint(QemuProbe.Buffer, 8, kind));
        Assert.Equal(CpuStop.Watchpoint, rig.Cpu.Run(10));
        Assert.Equal(CpuRig.Ram, rig.Cpu.Pc);
        Assert.Equal(QemuProbe.Buffer + 3, rig.Cpu.LastWatchHit!.Value.Address);
        Assert.Equal(0UL, rig.Read64(QemuProbe.Buffer));
        Assert.Equal(CpuStop.Limit, rig.Cpu.Run(rig.Cpu.Icount + 1));
        Assert.Equal(0x0100_0000UL, rig.Read64(QemuProbe.Buffer));
    }
}
