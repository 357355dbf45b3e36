// Drives virtio-blk and virtio-rng through the virtio-mmio transport, legacy (version 1) or modern
// (version 2), by polling: finds the devices in the eight slots, reads the block device's ID and
// sector 0, takes 16 bytes of entropy, writes them to sector 1 through an indirect descriptor table,
// reads sector 1 back and compares, then checks that an out-of-range read fails and a flush succeeds.
// Output depends on the disk image and, in its "rng" line, on the entropy: a record/replay test.
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

#define F_INDIRECT (1u << 28)
#define F_EVENT_IDX (1u << 29)

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

#define QSIZE 8

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct queue {
    uintptr_t base;
    struct desc *desc;
    volatile uint16_t *avail;  // flags, idx, ring[QSIZE], used_event
    volatile uint16_t *used;   // flags, idx, then {u32 id, u32 len}[QSIZE]
    uint16_t avail_idx;
    uint16_t used_idx;
    int event_idx;
};

static uint8_t qmem[2][8192] __attribute__((aligned(4096)));
static struct desc indirect_table[4] __attribute__((aligned(16)));
static uint8_t sector[512], readback[512], id[20], entropy[16];
static volatile uint8_t status;
static struct {
    uint32_t type, reserved;
    uint64_t sector;
} header;

static void fail(const char *what)
{
    rt_puts("virtio FAIL ");
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

// Resets the device, negotiates `wanted` (and VERSION_1 when modern) and sets up queue 0 in `mem`.
static void setup(struct queue *q, uintptr_t base, uint32_t version, uint32_t wanted, uint8_t *mem)
{
    REG(base, STATUS) = 0;
    REG(base, STATUS) = S_ACK;
    REG(base, STATUS) = S_ACK | S_DRIVER;
    REG(base, DEVICE_FEATURES_SEL) = 0;
    uint32_t offered = REG(base, DEVICE_FEATURES);
    REG(base, DRIVER_FEATURES_SEL) = 0;
    REG(base, DRIVER_FEATURES) = offered & wanted;
    q->event_idx = (offered & wanted & F_EVENT_IDX) != 0;
    if (version == 2) {
        REG(base, DRIVER_FEATURES_SEL) = 1;
        REG(base, DRIVER_FEATURES) = 1;  // VIRTIO_F_VERSION_1
        REG(base, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
        if (!(REG(base, STATUS) & S_FEATURES_OK)) fail("features");
    } else {
        REG(base, GUEST_PAGE_SIZE) = 4096;
    }
    REG(base, QUEUE_SEL) = 0;
    if (REG(base, QUEUE_NUM_MAX) < QSIZE) fail("queue size");
    REG(base, QUEUE_NUM) = QSIZE;
    q->base = base;
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
        REG(base, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
    } else {
        REG(base, QUEUE_ALIGN) = 4096;
        REG(base, QUEUE_PFN) = (uint32_t)((uintptr_t)mem >> 12);
        REG(base, STATUS) = S_ACK | S_DRIVER | S_DRIVER_OK;
    }
}

// Makes descriptor `head` available, notifies and polls for its completion; returns the used length.
static uint32_t submit(struct queue *q, uint16_t head)
{
    q->avail[2 + q->avail_idx % QSIZE] = head;
    // With EVENT_IDX: ask for an interrupt as soon as this request is used.
    q->avail[2 + QSIZE] = q->avail_idx;
    __asm__ volatile("fence rw, rw" ::: "memory");
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    __asm__ volatile("fence rw, rw" ::: "memory");
    REG(q->base, QUEUE_NOTIFY) = 0;
    for (long spin = 0; q->used[1] == q->used_idx; spin++)
        if (spin > 10000000) fail("request never completed");
    __asm__ volatile("fence rw, rw" ::: "memory");
    volatile uint32_t *elem = (volatile uint32_t *)(q->used + 2) + 2 * (q->used_idx % QSIZE);
    if (elem[0] != head) fail("used id");
    uint32_t len = elem[1];
    q->used_idx++;
    uint32_t isr = REG(q->base, INTERRUPT_STATUS);
    if (!(isr & 1)) fail("no used-buffer interrupt");
    REG(q->base, INTERRUPT_ACK) = isr;
    return len;
}

static void set_desc(struct desc *d, void *addr, uint32_t len, uint16_t flags, uint16_t next)
{
    d->addr = (uint64_t)(uintptr_t)addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

// A three-part block request: header, data (in or out), status.
static uint8_t blk_request(struct queue *q, uint32_t type, uint64_t sec, void *data, uint32_t len, int device_writes)
{
    header.type = type;
    header.reserved = 0;
    header.sector = sec;
    status = 0xff;
    set_desc(&q->desc[0], &header, sizeof header, D_NEXT, len ? 1 : 2);
    // A request without data (flush) has no data descriptor: zero-sized buffers are not allowed.
    set_desc(&q->desc[1], data, len, (uint16_t)(D_NEXT | (device_writes ? D_WRITE : 0)), 2);
    set_desc(&q->desc[2], (void *)&status, 1, D_WRITE, 0);
    submit(q, 0);
    return status;
}

int main(void)
{
    uintptr_t blk = 0, rng = 0;
    uint32_t version = 0;
    for (int slot = 0; slot < 8; slot++) {
        uintptr_t base = VIRTIO_BASE + slot * VIRTIO_STRIDE;
        if (REG(base, MAGIC) != 0x74726976) fail("magic");
        version = REG(base, VERSION);
        uint32_t dev = REG(base, DEVICE_ID);
        if (dev == 0) continue;
        rt_puts("virtio slot ");
        rt_print_dec((uint64_t)slot);
        rt_puts(" device ");
        rt_print_dec(dev);
        rt_puts(" version ");
        rt_print_dec(version);
        rt_putc('\n');
        if (dev == 2 && !blk) blk = base;
        if (dev == 4 && !rng) rng = base;
    }
    if (!blk || !rng) fail("virtio-blk and virtio-rng are both needed");

    struct queue bq, rq;
    setup(&bq, blk, version, F_INDIRECT | F_EVENT_IDX, qmem[0]);
    setup(&rq, rng, version, 0, qmem[1]);
    uint64_t capacity = *(volatile uint32_t *)(blk + CONFIG) | (uint64_t)*(volatile uint32_t *)(blk + CONFIG + 4) << 32;
    rt_puts("blk capacity ");
    rt_print_dec(capacity);
    rt_putc('\n');

    if (blk_request(&bq, 8, 0, id, sizeof id, 1) != 0) fail("get-id");
    rt_puts("blk id ");
    for (int i = 0; i < 20 && id[i]; i++) rt_putc((char)id[i]);
    rt_putc('\n');

    if (blk_request(&bq, 0, 0, sector, sizeof sector, 1) != 0) fail("read sector 0");
    rt_puts("blk sector 0: ");
    for (int i = 0; i < 64 && sector[i] >= ' ' && sector[i] < 127; i++) rt_putc((char)sector[i]);
    rt_putc('\n');

    set_desc(&rq.desc[0], entropy, sizeof entropy, D_WRITE, 0);
    if (submit(&rq, 0) != sizeof entropy) fail("rng length");
    rt_puts("rng ");
    for (unsigned i = 0; i < sizeof entropy; i++) put_hex_byte(entropy[i]);
    rt_putc('\n');

    // Sector 1 gets the entropy, repeated, through an indirect table (header, data, status).
    for (unsigned i = 0; i < sizeof sector; i++) sector[i] = entropy[i % sizeof entropy] ^ (uint8_t)(i >> 4);
    header.type = 1;
    header.reserved = 0;
    header.sector = 1;
    status = 0xff;
    set_desc(&indirect_table[0], &header, sizeof header, D_NEXT, 1);
    set_desc(&indirect_table[1], sector, sizeof sector, D_NEXT, 2);
    set_desc(&indirect_table[2], (void *)&status, 1, D_WRITE, 0);
    set_desc(&bq.desc[3], indirect_table, 3 * sizeof(struct desc), D_INDIRECT, 0);
    submit(&bq, 3);
    rt_puts("blk write sector 1 status ");
    rt_print_dec(status);
    rt_putc('\n');

    if (blk_request(&bq, 0, 1, readback, sizeof readback, 1) != 0) fail("read sector 1");
    for (unsigned i = 0; i < sizeof sector; i++)
        if (readback[i] != sector[i]) fail("sector 1 reads back differently");
    rt_puts("blk sector 1 reads back\n");

    rt_puts("blk read past the end status ");
    rt_print_dec(blk_request(&bq, 0, capacity, readback, sizeof readback, 1));
    rt_putc('\n');
    rt_puts("blk flush status ");
    rt_print_dec(blk_request(&bq, 4, 0, 0, 0, 1));
    rt_putc('\n');
    rt_puts("virtio done\n");
    return 0;
}
