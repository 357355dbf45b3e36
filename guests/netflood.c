// Receives a flood of Ethernet frames over virtio-net (legacy or modern virtio-mmio) and checks that
// every one arrives, once and in order. The program sends a "ready" frame and offers no receive buffer
// until a byte arrives on the UART, while the peer sends all FRAMES frames at once, far more than a
// device holds (the test types the byte once the host has read as many as the device holds); only then
// does it offer its few receive buffers and take the frames. Frame
// N carries N as a big-endian word after the Ethernet header and is 60 + N*37 % 1455 bytes long, every
// byte after the word being (N + i) & 0xff, so a lost, doubled, reordered or damaged frame is seen.
// Output depends on the peer's frames: a record/replay test.
#include "rt.h"

#define VIRTIO_BASE   0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))

#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define GUEST_PAGE_SIZE 0x028
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_ALIGN 0x03c
#define QUEUE_PFN 0x040
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define CONFIG 0x100

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define F_MAC (1u << 5)
#define D_WRITE 2

#define PLIC_BASE 0x0c000000UL
#define PLIC_PRIORITY(irq) (*(volatile uint32_t *)(PLIC_BASE + 4 * (irq)))
#define PLIC_ENABLE0 (*(volatile uint32_t *)(PLIC_BASE + 0x2000))
#define PLIC_THRESHOLD0 (*(volatile uint32_t *)(PLIC_BASE + 0x200000))
#define PLIC_CLAIM0 (*(volatile uint32_t *)(PLIC_BASE + 0x200004))

#define QSIZE 8
#define RX 0
#define TX 1
#define BUF 1536
#define FRAMES 2000
#define PATIENCE 100000000ULL // 10 s of mtime without a frame: the peer is gone
#define ETHERTYPE 0x88b5      // IEEE local experimental

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct queue {
    int index;
    struct desc *desc;
    volatile uint16_t *avail;
    volatile uint16_t *used;
    uint16_t avail_idx;
    uint16_t used_idx;
};

static uint8_t qmem[2][8192] __attribute__((aligned(4096)));
static uint8_t rxbuf[QSIZE][BUF];
static uint8_t txbuf[BUF];
static uintptr_t base;
static unsigned hdr_len;
static uint8_t mac[6];
static struct queue rxq, txq;

static void fail(const char *what, unsigned frame)
{
    rt_puts("netflood FAIL ");
    rt_puts(what);
    rt_puts(" at frame ");
    rt_print_dec(frame);
    rt_putc('\n');
    rt_exit(1);
}

static void setup_queue(struct queue *q, int index, uint32_t version, uint8_t *mem)
{
    REG(base, QUEUE_SEL) = (uint32_t)index;
    if (REG(base, QUEUE_NUM_MAX) < QSIZE) fail("queue size", 0);
    REG(base, QUEUE_NUM) = QSIZE;
    q->index = index;
    q->desc = (struct desc *)mem;
    q->avail = (volatile uint16_t *)(mem + 16 * QSIZE);
    q->used = (volatile uint16_t *)(mem + 4096);
    q->avail_idx = q->used_idx = 0;
    if (version == 2) {
        REG(base, QUEUE_DESC_LOW) = (uint32_t)(uintptr_t)q->desc;
        REG(base, QUEUE_DESC_HIGH) = 0;
        REG(base, QUEUE_DRIVER_LOW) = (uint32_t)(uintptr_t)q->avail;
        REG(base, QUEUE_DRIVER_HIGH) = 0;
        REG(base, QUEUE_DEVICE_LOW) = (uint32_t)(uintptr_t)q->used;
        REG(base, QUEUE_DEVICE_HIGH) = 0;
        REG(base, QUEUE_READY) = 1;
    } else {
        REG(base, QUEUE_ALIGN) = 4096;
        REG(base, QUEUE_PFN) = (uint32_t)((uintptr_t)mem >> 12);
    }
}

static void offer(struct queue *q, uint16_t head)
{
    q->avail[2 + q->avail_idx % QSIZE] = head;
    __asm__ volatile("fence rw, rw" ::: "memory");
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    __asm__ volatile("fence rw, rw" ::: "memory");
    REG(base, QUEUE_NOTIFY) = (uint32_t)q->index;
}

static void post_rx(uint16_t i)
{
    rxq.desc[i].addr = (uint64_t)(uintptr_t)rxbuf[i];
    rxq.desc[i].len = BUF;
    rxq.desc[i].flags = D_WRITE;
    rxq.desc[i].next = 0;
    offer(&rxq, i);
}

// Waits for the device or the timer (WFI with MEIE and MTIE on, MIE off: no trap, just the wake-up).
static void wait_for_event(uint64_t deadline)
{
    *(volatile uint64_t *)RT_CLINT_MTIMECMP = deadline;
    if (rxq.used[1] == rxq.used_idx) __asm__ volatile("wfi");
    uint32_t claim = PLIC_CLAIM0;
    REG(base, INTERRUPT_ACK) = REG(base, INTERRUPT_STATUS);
    if (claim) PLIC_CLAIM0 = claim;
}

static void send_ready(void)
{
    uint8_t *f = txbuf + hdr_len;
    for (unsigned i = 0; i < hdr_len; i++) txbuf[i] = 0;
    for (int i = 0; i < 6; i++) f[i] = 0xff;
    for (int i = 0; i < 6; i++) f[6 + i] = mac[i];
    f[12] = ETHERTYPE >> 8;
    f[13] = ETHERTYPE & 0xff;
    const char *word = "ready";
    unsigned n = 14;
    while (*word) f[n++] = (uint8_t)*word++;
    while (n < 60) f[n++] = 0;
    txq.desc[0].addr = (uint64_t)(uintptr_t)txbuf;
    txq.desc[0].len = hdr_len + n;
    txq.desc[0].flags = 0;
    txq.desc[0].next = 0;
    offer(&txq, 0);
    while (txq.used[1] != txq.avail_idx) __asm__ volatile("" ::: "memory");
}

// Checks frame `expected` as the peer made it; returns its contribution to the running hash.
static uint32_t check_frame(const uint8_t *f, uint32_t len, unsigned expected, uint32_t hash)
{
    uint32_t want = 60 + expected * 37 % 1455;
    if (len != want) fail("length", expected);
    if (f[12] != (ETHERTYPE >> 8) || f[13] != (ETHERTYPE & 0xff)) fail("ethertype", expected);
    unsigned n = ((unsigned)f[14] << 24) | ((unsigned)f[15] << 16) | ((unsigned)f[16] << 8) | f[17];
    if (n != expected) fail("order", expected);
    for (uint32_t i = 18; i < len; i++)
        if (f[i] != (uint8_t)(n + i)) fail("contents", expected);
    for (uint32_t i = 0; i < len; i++) hash = (hash ^ f[i]) * 16777619u; // FNV-1a
    return hash;
}

int main(void)
{
    uint32_t version = 0;
    int slot = -1;
    for (int s = 0; s < 8 && slot < 0; s++) {
        uintptr_t b = VIRTIO_BASE + s * VIRTIO_STRIDE;
        if (REG(b, MAGIC) != 0x74726976) fail("magic", 0);
        if (REG(b, DEVICE_ID) == 1) {
            slot = s;
            base = b;
            version = REG(b, VERSION);
        }
    }
    if (slot < 0) fail("no virtio-net device", 0);

    REG(base, STATUS) = 0;
    REG(base, STATUS) = S_ACK;
    REG(base, STATUS) = S_ACK | S_DRIVER;
    REG(base, DEVICE_FEATURES_SEL) = 0;
    if (!(REG(base, DEVICE_FEATURES) & F_MAC)) fail("no MAC feature", 0);
    REG(base, DRIVER_FEATURES_SEL) = 0;
    REG(base, DRIVER_FEATURES) = F_MAC;
    if (version == 2) {
        REG(base, DRIVER_FEATURES_SEL) = 1;
        REG(base, DRIVER_FEATURES) = 1;  // VIRTIO_F_VERSION_1
        REG(base, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
        if (!(REG(base, STATUS) & S_FEATURES_OK)) fail("features", 0);
        hdr_len = 12;
    } else {
        REG(base, GUEST_PAGE_SIZE) = 4096;
        hdr_len = 10;
    }
    for (int i = 0; i < 6; i++) mac[i] = *(volatile uint8_t *)(base + CONFIG + i);
    setup_queue(&rxq, RX, version, qmem[0]);
    setup_queue(&txq, TX, version, qmem[1]);
    REG(base, STATUS) = REG(base, STATUS) | S_DRIVER_OK;

    PLIC_PRIORITY(slot + 1) = 1;
    PLIC_ENABLE0 = 1u << (slot + 1);
    PLIC_THRESHOLD0 = 0;
    __asm__ volatile("csrs mie, %0" ::"r"((1u << 11) | (1u << 7)));

    send_ready();
    rt_puts("netflood ready\n");
    // No receive buffer yet: whatever the peer sends meanwhile waits in the device and the host.
    rt_getc();
    for (uint16_t i = 0; i < QSIZE; i++) post_rx(i);

    uint32_t hash = 2166136261u;
    unsigned received = 0;
    uint64_t last_news = rt_mtime();
    while (received < FRAMES) {
        if (rxq.used[1] == rxq.used_idx) {
            if (rt_mtime() - last_news > PATIENCE) fail("the peer went quiet", received);
            wait_for_event(rt_mtime() + PATIENCE / 10);
            continue;
        }
        __asm__ volatile("fence rw, rw" ::: "memory");
        volatile uint32_t *elem = (volatile uint32_t *)(rxq.used + 2) + 2 * (rxq.used_idx % QSIZE);
        uint16_t id = (uint16_t)elem[0];
        uint32_t len = elem[1];
        rxq.used_idx++;
        if (id >= QSIZE || len < hdr_len + 18) fail("receive length", received);
        hash = check_frame(rxbuf[id] + hdr_len, len - hdr_len, received, hash);
        received++;
        last_news = rt_mtime();
        post_rx(id);
    }
    rt_puts("netflood done: ");
    rt_print_dec(received);
    rt_puts(" frames in order, hash ");
    rt_print_hex(hash);
    rt_putc('\n');
    return 0;
}
