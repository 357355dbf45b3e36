// Exchanges Ethernet frames over virtio-net (legacy or modern virtio-mmio) with a peer running the same
// protocol: another copy of this program, or a test. Each side sends "ping K" for K = 0..ROUNDS-1, one
// at a time, and answers every "ping K" it receives with "pong K". A side is done when its last ping is
// answered and it has answered the peer's last ping. Pings are sent again every RETRY ticks until
// answered: a listening side's first frames are dropped while no peer is connected. The program waits
// for frames with WFI (the device's PLIC line and the CLINT timer wake it), so an idle machine idles.
// Output depends on the peer's frames and their timing: a record/replay test.
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
#define ROUNDS 8
#define RETRY 1000000ULL      // 100 ms of mtime
#define PATIENCE 100000000ULL // 10 s without news: the peer is gone
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

static void fail(const char *what)
{
    rt_puts("net FAIL ");
    rt_puts(what);
    rt_putc('\n');
    rt_exit(1);
}

static void put_hex_byte(uint8_t b)
{
    const char *digits = "0123456789abcdef";
    rt_putc(digits[b >> 4]);
    rt_putc(digits[b & 15]);
}

static void setup_queue(struct queue *q, int index, uint32_t version, uint8_t *mem)
{
    REG(base, QUEUE_SEL) = (uint32_t)index;
    if (REG(base, QUEUE_NUM_MAX) < QSIZE) fail("queue size");
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

static unsigned sent;

static void send(const char *word, unsigned k)
{
    // The only transmit buffer: the device may still be reading the previous frame from it (it sends
    // some time after the notify), so wait until it has been used before writing the next one.
    while (txq.used[1] != txq.avail_idx) __asm__ volatile("" ::: "memory");
    txq.used_idx = txq.used[1];
    uint8_t *f = txbuf + hdr_len;
    for (unsigned i = 0; i < hdr_len; i++) txbuf[i] = 0;
    for (int i = 0; i < 6; i++) f[i] = 0xff;
    for (int i = 0; i < 6; i++) f[6 + i] = mac[i];
    f[12] = ETHERTYPE >> 8;
    f[13] = ETHERTYPE & 0xff;
    unsigned n = 14;
    for (const char *w = word; *w; w++) f[n++] = (uint8_t)*w;
    f[n++] = ' ';
    f[n++] = (uint8_t)('0' + k);
    while (n < 60) f[n++] = 0;  // the Ethernet minimum, padded
    txq.desc[0].addr = (uint64_t)(uintptr_t)txbuf;
    txq.desc[0].len = hdr_len + n;
    txq.desc[0].flags = 0;
    txq.desc[0].next = 0;
    offer(&txq, 0);
    sent++;
}

int main(void)
{
    uint32_t version = 0;
    int slot = -1;
    for (int s = 0; s < 8 && slot < 0; s++) {
        uintptr_t b = VIRTIO_BASE + s * VIRTIO_STRIDE;
        if (REG(b, MAGIC) != 0x74726976) fail("magic");
        if (REG(b, DEVICE_ID) == 1) {
            slot = s;
            base = b;
            version = REG(b, VERSION);
        }
    }
    if (slot < 0) fail("no virtio-net device");

    REG(base, STATUS) = 0;
    REG(base, STATUS) = S_ACK;
    REG(base, STATUS) = S_ACK | S_DRIVER;
    REG(base, DEVICE_FEATURES_SEL) = 0;
    if (!(REG(base, DEVICE_FEATURES) & F_MAC)) fail("no MAC feature");
    REG(base, DRIVER_FEATURES_SEL) = 0;
    REG(base, DRIVER_FEATURES) = F_MAC;
    if (version == 2) {
        REG(base, DRIVER_FEATURES_SEL) = 1;
        REG(base, DRIVER_FEATURES) = 1;  // VIRTIO_F_VERSION_1
        REG(base, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
        if (!(REG(base, STATUS) & S_FEATURES_OK)) fail("features");
        hdr_len = 12;
    } else {
        REG(base, GUEST_PAGE_SIZE) = 4096;
        hdr_len = 10;
    }
    for (int i = 0; i < 6; i++) mac[i] = *(volatile uint8_t *)(base + CONFIG + i);
    setup_queue(&rxq, RX, version, qmem[0]);
    setup_queue(&txq, TX, version, qmem[1]);
    REG(base, STATUS) = REG(base, STATUS) | S_DRIVER_OK;

    rt_puts("net slot ");
    rt_print_dec((uint64_t)slot);
    rt_puts(" version ");
    rt_print_dec(version);
    rt_puts(" mac ");
    for (int i = 0; i < 6; i++) {
        if (i) rt_putc(':');
        put_hex_byte(mac[i]);
    }
    rt_putc('\n');

    // The device's line (slot + 1) and the timer wake WFI; no trap is taken (mstatus.MIE stays 0).
    PLIC_PRIORITY(slot + 1) = 1;
    PLIC_ENABLE0 = 1u << (slot + 1);
    PLIC_THRESHOLD0 = 0;
    __asm__ volatile("csrs mie, %0" ::"r"((1u << 11) | (1u << 7)));

    for (uint16_t i = 0; i < QSIZE; i++) post_rx(i);

    unsigned next_ping = 0, answered_last = 0, received = 0;
    send("ping", 0);
    uint64_t last_send = rt_mtime(), last_news = last_send;
    while (next_ping < ROUNDS || !answered_last) {
        if (rxq.used[1] == rxq.used_idx) {
            uint64_t now = rt_mtime();
            if (now - last_news > PATIENCE) fail("the peer went quiet");
            if (next_ping < ROUNDS && now - last_send >= RETRY) {
                send("ping", next_ping);
                last_send = now;
            }
            wait_for_event(last_send + RETRY);
            continue;
        }
        __asm__ volatile("fence rw, rw" ::: "memory");
        volatile uint32_t *elem = (volatile uint32_t *)(rxq.used + 2) + 2 * (rxq.used_idx % QSIZE);
        uint16_t id = (uint16_t)elem[0];
        uint32_t len = elem[1];
        rxq.used_idx++;
        if (id >= QSIZE || len < hdr_len + 14) fail("receive length");
        const uint8_t *f = rxbuf[id] + hdr_len;
        received++;
        last_news = rt_mtime();
        if (f[12] == (ETHERTYPE >> 8) && f[13] == (ETHERTYPE & 0xff) && len >= hdr_len + 20) {
            const uint8_t *p = f + 14;
            unsigned k = (unsigned)(p[5] - '0');
            rt_puts("rx ");
            for (int i = 0; i < 6; i++) rt_putc((char)p[i]);
            rt_puts(" from ");
            put_hex_byte(f[11]);
            rt_putc('\n');
            if (p[0] == 'p' && p[1] == 'i' && k < ROUNDS) {
                send("pong", k);
                if (k == ROUNDS - 1) answered_last = 1;
            } else if (p[0] == 'p' && p[1] == 'o' && k == next_ping) {
                next_ping++;
                if (next_ping < ROUNDS) {
                    send("ping", next_ping);
                    last_send = rt_mtime();
                }
            }
        }
        post_rx(id);
    }
    // The last pong must leave before the program ends.
    while (txq.used[1] != txq.avail_idx) __asm__ volatile("" ::: "memory");
    rt_puts("net done: ");
    rt_print_dec(ROUNDS);
    rt_puts(" pings answered, ");
    rt_print_dec(received);
    rt_puts(" frames received, ");
    rt_print_dec(sent);
    rt_puts(" sent\n");
    return 0;
}
