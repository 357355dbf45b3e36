// Drives a virtio-console (virtio-serial-device with a virtconsole, legacy or modern virtio-mmio) the way
// Linux does with MULTIPORT: control receive buffers, DEVICE_READY, PORT_READY for each port the device
// adds, PORT_OPEN for the console port. It prints every control message on the UART, writes a greeting
// on the console port, then reads the port's host input up to a newline, prints it on the UART and
// echoes it on the console. Output depends on the host's input: a record/replay test.
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

#define F_MULTIPORT (1u << 1)
#define D_WRITE 2

#define PLIC_BASE 0x0c000000UL
#define PLIC_PRIORITY(irq) (*(volatile uint32_t *)(PLIC_BASE + 4 * (irq)))
#define PLIC_ENABLE0 (*(volatile uint32_t *)(PLIC_BASE + 0x2000))
#define PLIC_THRESHOLD0 (*(volatile uint32_t *)(PLIC_BASE + 0x200000))
#define PLIC_CLAIM0 (*(volatile uint32_t *)(PLIC_BASE + 0x200004))

#define QSIZE 8
#define RX 0
#define TX 1
#define CRX 2
#define CTX 3
#define BUF 64
#define TICK 100000ULL  // 10 ms of mtime: WFI wakes at least this often

#define DEVICE_READY 0
#define PORT_ADD 1
#define PORT_READY 3
#define CONSOLE_PORT 4
#define PORT_OPEN 6
#define PORT_NAME 7

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

struct control {
    uint32_t id;
    uint16_t event;
    uint16_t value;
};

static uint8_t qmem[4][8192] __attribute__((aligned(4096)));
static uint8_t buf[4][QSIZE][BUF];
static uintptr_t base;
static struct queue q[4];

static void fail(const char *what)
{
    rt_puts("vconsole FAIL ");
    rt_puts(what);
    rt_putc('\n');
    rt_exit(1);
}

static void setup_queue(int index, uint32_t version)
{
    struct queue *p = &q[index];
    uint8_t *mem = qmem[index];
    REG(base, QUEUE_SEL) = (uint32_t)index;
    if (REG(base, QUEUE_NUM_MAX) < QSIZE) fail("queue size");
    REG(base, QUEUE_NUM) = QSIZE;
    p->index = index;
    p->desc = (struct desc *)mem;
    p->avail = (volatile uint16_t *)(mem + 16 * QSIZE);
    p->used = (volatile uint16_t *)(mem + 4096);
    p->avail_idx = p->used_idx = 0;
    if (version == 2) {
        REG(base, QUEUE_DESC_LOW) = (uint32_t)(uintptr_t)p->desc;
        REG(base, QUEUE_DESC_HIGH) = 0;
        REG(base, QUEUE_DRIVER_LOW) = (uint32_t)(uintptr_t)p->avail;
        REG(base, QUEUE_DRIVER_HIGH) = 0;
        REG(base, QUEUE_DEVICE_LOW) = (uint32_t)(uintptr_t)p->used;
        REG(base, QUEUE_DEVICE_HIGH) = 0;
        REG(base, QUEUE_READY) = 1;
    } else {
        REG(base, QUEUE_ALIGN) = 4096;
        REG(base, QUEUE_PFN) = (uint32_t)((uintptr_t)mem >> 12);
    }
}

// Makes buffer `i` of queue `index` available: device-writable (len 0 means BUF), or `len` bytes to read.
static void offer(int index, uint16_t i, uint32_t len, int writable)
{
    struct queue *p = &q[index];
    p->desc[i].addr = (uint64_t)(uintptr_t)buf[index][i];
    p->desc[i].len = len;
    p->desc[i].flags = writable ? D_WRITE : 0;
    p->desc[i].next = 0;
    p->avail[2 + p->avail_idx % QSIZE] = i;
    __asm__ volatile("fence rw, rw" ::: "memory");
    p->avail_idx++;
    p->avail[1] = p->avail_idx;
    __asm__ volatile("fence rw, rw" ::: "memory");
    REG(base, QUEUE_NOTIFY) = (uint32_t)index;
}

// Waits (WFI on the device's line and a timer tick) until queue `index` has a used buffer; returns its id and length.
static uint16_t take_used(int index, uint32_t *len)
{
    struct queue *p = &q[index];
    while (p->used[1] == p->used_idx) {
        *(volatile uint64_t *)RT_CLINT_MTIMECMP = rt_mtime() + TICK;
        if (p->used[1] == p->used_idx) __asm__ volatile("wfi");
        uint32_t claim = PLIC_CLAIM0;
        REG(base, INTERRUPT_ACK) = REG(base, INTERRUPT_STATUS);
        if (claim) PLIC_CLAIM0 = claim;
    }
    __asm__ volatile("fence rw, rw" ::: "memory");
    volatile uint32_t *elem = (volatile uint32_t *)(p->used + 2) + 2 * (p->used_idx % QSIZE);
    uint16_t id = (uint16_t)elem[0];
    *len = elem[1];
    p->used_idx++;
    if (id >= QSIZE) fail("used id");
    return id;
}

// Transmit queues have one buffer in flight at a time: buffer 0, taken back before the next send.
static void send(int index, const void *data, uint32_t len)
{
    const uint8_t *d = data;
    for (uint32_t i = 0; i < len; i++) buf[index][0][i] = d[i];
    offer(index, 0, len, 0);
    uint32_t ignored;
    take_used(index, &ignored);
}

static void send_control(uint32_t id, uint16_t event, uint16_t value)
{
    struct control c = { id, event, value };
    send(CTX, &c, sizeof c);
}

static void send_text(const char *s)
{
    uint32_t n = 0;
    while (s[n]) n++;
    send(TX, s, n);
}

// Takes the next control message from the device, prints it, and gives the buffer back.
static struct control receive_control(void)
{
    uint32_t len;
    uint16_t id = take_used(CRX, &len);
    if (len < sizeof(struct control)) fail("control length");
    struct control c = *(struct control *)buf[CRX][id];
    rt_puts("ctrl port ");
    rt_print_dec(c.id);
    rt_puts(" event ");
    rt_print_dec(c.event);
    rt_puts(" value ");
    rt_print_dec(c.value);
    if (c.event == PORT_NAME) {
        rt_puts(" name ");
        for (uint32_t i = sizeof c; i < len && buf[CRX][id][i]; i++) rt_putc((char)buf[CRX][id][i]);
    }
    rt_putc('\n');
    offer(CRX, id, BUF, 1);
    return c;
}

int main(void)
{
    uint32_t version = 0;
    int slot = -1;
    for (int s = 0; s < 8 && slot < 0; s++) {
        uintptr_t b = VIRTIO_BASE + s * VIRTIO_STRIDE;
        if (REG(b, MAGIC) != 0x74726976) fail("magic");
        if (REG(b, DEVICE_ID) == 3) {
            slot = s;
            base = b;
            version = REG(b, VERSION);
        }
    }
    if (slot < 0) fail("no virtio-console device");

    REG(base, STATUS) = 0;
    REG(base, STATUS) = S_ACK;
    REG(base, STATUS) = S_ACK | S_DRIVER;
    REG(base, DEVICE_FEATURES_SEL) = 0;
    if (!(REG(base, DEVICE_FEATURES) & F_MULTIPORT)) fail("no MULTIPORT feature");
    REG(base, DRIVER_FEATURES_SEL) = 0;
    REG(base, DRIVER_FEATURES) = F_MULTIPORT;
    if (version == 2) {
        REG(base, DRIVER_FEATURES_SEL) = 1;
        REG(base, DRIVER_FEATURES) = 1;  // VIRTIO_F_VERSION_1
        REG(base, STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
        if (!(REG(base, STATUS) & S_FEATURES_OK)) fail("features");
    } else {
        REG(base, GUEST_PAGE_SIZE) = 4096;
    }
    uint32_t max_ports = REG(base, CONFIG + 4);
    for (int i = 0; i < 4; i++) setup_queue(i, version);
    REG(base, STATUS) = REG(base, STATUS) | S_DRIVER_OK;

    rt_puts("vconsole slot ");
    rt_print_dec((uint64_t)slot);
    rt_puts(" version ");
    rt_print_dec(version);
    rt_puts(" max_nr_ports ");
    rt_print_dec(max_ports);
    rt_putc('\n');

    // The device's line (slot + 1) and the timer wake WFI; no trap is taken (mstatus.MIE stays 0).
    PLIC_PRIORITY(slot + 1) = 1;
    PLIC_ENABLE0 = 1u << (slot + 1);
    PLIC_THRESHOLD0 = 0;
    __asm__ volatile("csrs mie, %0" ::"r"((1u << 11) | (1u << 7)));

    for (uint16_t i = 0; i < QSIZE; i++) offer(CRX, i, BUF, 1);
    for (uint16_t i = 0; i < QSIZE; i++) offer(RX, i, BUF, 1);

    send_control(0, DEVICE_READY, 1);
    struct control c = receive_control();
    if (c.event != PORT_ADD || c.id != 0) fail("expected PORT_ADD for port 0");
    send_control(0, PORT_READY, 1);
    int console = 0, host_open = 0;
    while (!console || !host_open) {
        c = receive_control();
        if (c.event == CONSOLE_PORT) console = 1;
        else if (c.event == PORT_OPEN) host_open = c.value;
    }
    send_control(0, PORT_OPEN, 1);

    send_text("hello from virtconsole\n");

    char line[BUF + 1];
    uint32_t n = 0;
    int done = 0;
    while (!done) {
        uint32_t len;
        uint16_t id = take_used(RX, &len);
        for (uint32_t i = 0; i < len && !done; i++) {
            char ch = (char)buf[RX][id][i];
            if (ch == '\n') done = 1;
            else if (n < BUF - 8) line[n++] = ch;
        }
        offer(RX, id, BUF, 1);
    }
    line[n] = 0;
    rt_puts("got: ");
    rt_puts(line);
    rt_putc('\n');
    send_text("echo: ");
    if (n > 0) send_text(line);  // a zero-length buffer is a driver error
    send_text("\n");
    rt_puts("vconsole done\n");
    return 0;
}
