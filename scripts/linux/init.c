// The whole userland of Rewind's Linux workload: a static init that mounts /dev, /proc and /sys,
// then reads commands from the console after the prompt `rewind-linux# `. Its commands are the few
// that tests and benchmarks need, with output that is easy to check from a test. It runs as /init
// in the initramfs, or as PID 1 from a disk (e.g. /sbin/init on an ext4 image, `root=/dev/vda rw`).
//
// Words after `--` on the kernel command line run first, as commands separated by ';'
// (e.g. `-append "console=ttyS0 -- hex /dev/hwrng 16; poweroff"`), so a run needs no typing.
// Any command may end with `> FILE` to send its output to FILE.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PROMPT "rewind-linux# "
#define MAX_WORDS 32

static void fail(const char *what, const char *arg) {
    fprintf(stderr, "%s: %s: %s\n", what, arg, strerror(errno));
}

static int cmd_echo(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    printf("\n");
    return 0;
}

static int cmd_cat(int argc, char **argv) {
    char buf[4096];
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) { fail("cat", argv[i]); status = 1; continue; }
        ssize_t n;
        fflush(stdout);
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            if (write(STDOUT_FILENO, buf, (size_t)n) != n) break;
        }
        if (n < 0) { fail("cat", argv[i]); status = 1; }
        close(fd);
    }
    return status;
}

static int cmd_ls(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    DIR *d = opendir(dir);
    if (!d) { fail("ls", dir); return 1; }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        printf("%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
    }
    closedir(d);
    return 0;
}

// write FILE WORDS...: the words, joined by spaces and ended with a newline, replace FILE's contents.
static int cmd_write(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: write FILE [WORDS...]\n"); return 1; }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { fail("write", argv[1]); return 1; }
    int status = 0;
    for (int i = 2; i < argc && status == 0; i++) {
        const char *sep = i + 1 < argc ? " " : "\n";
        if (write(fd, argv[i], strlen(argv[i])) < 0 || write(fd, sep, 1) < 0) status = 1;
    }
    if (argc == 2 && write(fd, "\n", 1) < 0) status = 1;
    if (close(fd) < 0) status = 1;
    if (status) fail("write", argv[1]);
    return status;
}

// hex FILE N: the first N bytes of FILE (e.g. /dev/hwrng) as hex, 32 to a line.
static int cmd_hex(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: hex FILE N\n"); return 1; }
    long want = strtol(argv[2], NULL, 0);
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { fail("hex", argv[1]); return 1; }
    long got = 0;
    unsigned char buf[256];
    while (got < want) {
        size_t ask = (size_t)(want - got) < sizeof buf ? (size_t)(want - got) : sizeof buf;
        ssize_t n = read(fd, buf, ask);
        if (n < 0) { fail("hex", argv[1]); close(fd); return 1; }
        if (n == 0) break;
        for (ssize_t i = 0; i < n; i++, got++) printf("%02x%s", buf[i], (got + 1) % 32 == 0 ? "\n" : "");
    }
    if (got % 32 != 0) printf("\n");
    close(fd);
    if (got < want) fprintf(stderr, "hex: %s: only %ld bytes\n", argv[1], got);
    return got < want;
}

// dd FILE COUNT [BS [nohash]]: reads COUNT bytes (K, M suffixes) in blocks of BS (default 64K) and prints
// how many it got, their FNV-1a hash, and the guest's elapsed time.
static long size_arg(const char *s) {
    char *end;
    long v = strtol(s, &end, 0);
    if (*end == 'K' || *end == 'k') v *= 1024;
    else if (*end == 'M' || *end == 'm') v *= 1024 * 1024;
    return v;
}

static int cmd_dd(int argc, char **argv) {
    if (argc < 3 || argc > 5 || (argc == 5 && strcmp(argv[4], "nohash") != 0)) {
        fprintf(stderr, "usage: dd FILE COUNT [BS [nohash]]\n");
        return 1;
    }
    // nohash leaves the bytes alone, as a real dd to /dev/null does: for measuring the device, not the
    // guest's hashing loop (about 5 instructions a byte).
    int hashing = argc < 5;
    long want = size_arg(argv[2]), bs = argc == 4 ? size_arg(argv[3]) : 65536;
    if (want < 0 || bs <= 0 || bs > 1 << 20) { fprintf(stderr, "dd: bad size\n"); return 1; }
    static unsigned char buf[1 << 20];
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { fail("dd", argv[1]); return 1; }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t hash = 2166136261u;
    long got = 0;
    while (got < want) {
        size_t ask = (size_t)(want - got) < (size_t)bs ? (size_t)(want - got) : (size_t)bs;
        ssize_t n = read(fd, buf, ask);
        if (n < 0) { fail("dd", argv[1]); close(fd); return 1; }
        if (n == 0) break;
        if (hashing)
            for (ssize_t i = 0; i < n; i++) hash = (hash ^ buf[i]) * 16777619u;
        got += n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);
    long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    printf("dd: %ld bytes fnv1a %08x in %ld us\n", got, hash, us);
    return 0;
}

// mount [-t TYPE] [-r] DEVICE DIR
static int cmd_mount(int argc, char **argv) {
    const char *type = "ext4";
    unsigned long flags = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) type = argv[++i];
        else if (strcmp(argv[i], "-r") == 0) flags |= MS_RDONLY;
        else break;
    }
    if (argc - i != 2) { fprintf(stderr, "usage: mount [-t TYPE] [-r] DEVICE DIR\n"); return 1; }
    if (mount(argv[i], argv[i + 1], type, flags, NULL) < 0) { fail("mount", argv[i]); return 1; }
    return 0;
}

static int cmd_umount(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: umount DIR\n"); return 1; }
    if (umount(argv[1]) < 0) { fail("umount", argv[1]); return 1; }
    return 0;
}

static int cmd_mkdir(int argc, char **argv) {
    int status = 0;
    for (int i = 1; i < argc; i++)
        if (mkdir(argv[i], 0755) < 0) { fail("mkdir", argv[i]); status = 1; }
    return status;
}

static int cmd_rm(int argc, char **argv) {
    int status = 0;
    for (int i = 1; i < argc; i++)
        if (unlink(argv[i]) < 0) { fail("rm", argv[i]); status = 1; }
    return status;
}

static int cmd_sync(int argc, char **argv) {
    (void)argc; (void)argv;
    sync();
    return 0;
}

static int cmd_uname(int argc, char **argv) {
    (void)argc; (void)argv;
    struct utsname u;
    if (uname(&u) < 0) { fail("uname", ""); return 1; }
    printf("%s %s %s\n", u.sysname, u.release, u.machine);
    return 0;
}

// wait FILE [SECONDS]: waits (default 10 s) until FILE exists. A driver may add its device after init
// has started (virtio_console's hvc0 comes once the device has announced its port), and a command that
// opens it at once would race with that.
static int cmd_wait(int argc, char **argv) {
    if (argc < 2 || argc > 3) { fprintf(stderr, "usage: wait FILE [SECONDS]\n"); return 1; }
    long polls = (argc == 3 ? atol(argv[2]) : 10) * 100;
    struct stat st;
    for (long i = 0; stat(argv[1], &st) != 0; i++) {
        if (i >= polls) { fprintf(stderr, "wait: %s: not there\n", argv[1]); return 1; }
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    return 0;
}

static int cmd_harts(int argc, char **argv) {
    (void)argc; (void)argv;
    printf("harts online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    return 0;
}

// Raw Ethernet frames on a packet socket (the kernel has no IP): `netup IF` brings the link up and
// opens a socket bound to it, which then queues every frame arriving on IF until `netrecv` takes it,
// so a reply that comes before `netrecv` runs is not lost.
#define MAX_LINKS 4
#define MAX_FRAME 1514

static struct link {
    char name[IFNAMSIZ];
    int fd;
} links[MAX_LINKS];
static int link_count;

static struct link *find_link(const char *name, const char *what) {
    for (int i = 0; i < link_count; i++)
        if (strcmp(links[i].name, name) == 0) return &links[i];
    fprintf(stderr, "%s: %s is not up (netup %s first)\n", what, name, name);
    return NULL;
}

// netup IF: sets IFF_UP, opens and binds a packet socket for every protocol on IF, prints its MAC.
static int cmd_netup(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: netup IF\n"); return 1; }
    if (strlen(argv[1]) >= IFNAMSIZ) { fprintf(stderr, "netup: interface name too long\n"); return 1; }
    for (int i = 0; i < link_count; i++)
        if (strcmp(links[i].name, argv[1]) == 0) { fprintf(stderr, "netup: %s is already up\n", argv[1]); return 1; }
    if (link_count == MAX_LINKS) { fprintf(stderr, "netup: at most %d links\n", MAX_LINKS); return 1; }
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) { fail("netup", "socket"); return 1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, argv[1]);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) { fail("netup", argv[1]); close(fd); return 1; }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) { fail("netup", argv[1]); close(fd); return 1; }
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) { fail("netup", argv[1]); close(fd); return 1; }
    struct sockaddr_ll at;
    memset(&at, 0, sizeof at);
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = ifr.ifr_ifindex;
    if (bind(fd, (struct sockaddr *)&at, sizeof at) < 0) { fail("netup", argv[1]); close(fd); return 1; }
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { fail("netup", argv[1]); close(fd); return 1; }
    const unsigned char *mac = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
    printf("%s up mac %02x:%02x:%02x:%02x:%02x:%02x\n", argv[1], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    strcpy(links[link_count].name, argv[1]);
    links[link_count++].fd = fd;
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// netsend IF HEX: sends the frame HEX spells (destination, source, type, payload) on IF.
static int cmd_netsend(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: netsend IF HEXFRAME\n"); return 1; }
    struct link *l = find_link(argv[1], "netsend");
    if (l == NULL) return 1;
    size_t digits = strlen(argv[2]);
    if (digits % 2 != 0 || digits / 2 < ETH_HLEN || digits / 2 > MAX_FRAME) {
        fprintf(stderr, "netsend: a frame is %d to %d bytes in hex\n", ETH_HLEN, MAX_FRAME);
        return 1;
    }
    unsigned char frame[MAX_FRAME];
    for (size_t i = 0; i < digits / 2; i++) {
        int hi = hex_digit(argv[2][2 * i]), lo = hex_digit(argv[2][2 * i + 1]);
        if (hi < 0 || lo < 0) { fprintf(stderr, "netsend: '%s' is not hex\n", argv[2]); return 1; }
        frame[i] = (unsigned char)(hi << 4 | lo);
    }
    if (send(l->fd, frame, digits / 2, 0) != (ssize_t)(digits / 2)) { fail("netsend", argv[1]); return 1; }
    return 0;
}

// netrecv IF [SECONDS]: waits (default 20 s) for the next frame arriving on IF and prints it in hex.
static int cmd_netrecv(int argc, char **argv) {
    if (argc < 2 || argc > 3) { fprintf(stderr, "usage: netrecv IF [SECONDS]\n"); return 1; }
    struct link *l = find_link(argv[1], "netrecv");
    if (l == NULL) return 1;
    int timeout_ms = (argc == 3 ? atoi(argv[2]) : 20) * 1000;
    unsigned char frame[MAX_FRAME + 4];
    for (;;) {
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        int ready = poll(&p, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) { fail("netrecv", argv[1]); return 1; }
        if (ready == 0) { fprintf(stderr, "netrecv: %s: no frame\n", argv[1]); return 1; }
        struct sockaddr_ll from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(l->fd, frame, sizeof frame, 0, (struct sockaddr *)&from, &len);
        if (n < 0) { fail("netrecv", argv[1]); return 1; }
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        printf("netrecv: %zd bytes ", n);
        for (ssize_t i = 0; i < n; i++) printf("%02x", frame[i]);
        printf("\n");
        return 0;
    }
}

// Bulk traffic for bench/net.sh, timed by the guest's clock. Frames go to the broadcast address with
// EtherType 0x88b5 (local experimental); the "ready" frame netsink sends first has 0x88b6.
static long elapsed_us(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

static void bulk_frame(unsigned char *frame, size_t size, unsigned short type) {
    memset(frame, 0xff, 6);
    static const unsigned char src[6] = {0x02, 0, 0, 0, 0, 0x02};
    memcpy(frame + 6, src, 6);
    frame[12] = (unsigned char)(type >> 8);
    frame[13] = (unsigned char)type;
    for (size_t i = ETH_HLEN; i < size; i++) frame[i] = (unsigned char)i;
}

// netflood IF COUNT SIZE: sends COUNT frames of SIZE bytes on IF as fast as it can.
static int cmd_netflood(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: netflood IF COUNT SIZE\n"); return 1; }
    struct link *l = find_link(argv[1], "netflood");
    if (l == NULL) return 1;
    long count = atol(argv[2]), size = atol(argv[3]);
    if (count <= 0 || size < ETH_ZLEN || size > MAX_FRAME) {
        fprintf(stderr, "netflood: COUNT > 0, SIZE %d to %d\n", ETH_ZLEN, MAX_FRAME);
        return 1;
    }
    unsigned char frame[MAX_FRAME];
    bulk_frame(frame, (size_t)size, 0x88b5);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < count; i++) {
        frame[ETH_HLEN] = (unsigned char)i;
        while (send(l->fd, frame, (size_t)size, 0) != size) {
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) { fail("netflood", argv[1]); return 1; }
            struct pollfd p = {.fd = l->fd, .events = POLLOUT};
            poll(&p, 1, 10);
        }
    }
    printf("netflood: %ld frames %ld bytes in %ld us\n", count, count * size, elapsed_us(&t0));
    return 0;
}

// netsink IF COUNT: sends one ready frame, then takes up to COUNT frames arriving on IF, until 3 s pass
// with none; prints how many came and the time from the ready frame to the last one.
static int cmd_netsink(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: netsink IF COUNT\n"); return 1; }
    struct link *l = find_link(argv[1], "netsink");
    if (l == NULL) return 1;
    long count = atol(argv[2]);
    if (count <= 0) { fprintf(stderr, "netsink: COUNT > 0\n"); return 1; }
    // A socket buffer for bursts, so that frames wait in it rather than drop while this loop runs.
    int room = 8 << 20;
    setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room);
    unsigned char frame[MAX_FRAME + 4];
    bulk_frame(frame, ETH_ZLEN, 0x88b6);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (send(l->fd, frame, ETH_ZLEN, 0) != ETH_ZLEN) { fail("netsink", argv[1]); return 1; }
    long got = 0, bytes = 0, last = 0;
    while (got < count) {
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        int ready = poll(&p, 1, 3000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        struct sockaddr_ll from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(l->fd, frame, sizeof frame, 0, (struct sockaddr *)&from, &len);
        if (n < 0) { fail("netsink", argv[1]); return 1; }
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        got++;
        bytes += n;
        last = elapsed_us(&t0);
    }
    printf("netsink: %ld frames %ld bytes in %ld us\n", got, bytes, last);
    return got < count;
}

static int power(unsigned int how, const char *what) {
    sync();
    fflush(stdout);
    reboot((int)how);
    fail(what, "reboot(2)");
    return 1;
}

static int cmd_poweroff(int argc, char **argv) { (void)argc; (void)argv; return power(RB_POWER_OFF, "poweroff"); }
static int cmd_reboot(int argc, char **argv) { (void)argc; (void)argv; return power(RB_AUTOBOOT, "reboot"); }
static int cmd_help(int argc, char **argv);
static int cmd_run(int argc, char **argv);

static const struct command {
    const char *name, *usage;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"echo", "echo WORDS...", cmd_echo},
    {"cat", "cat FILE...", cmd_cat},
    {"ls", "ls [DIR]", cmd_ls},
    {"write", "write FILE WORDS...", cmd_write},
    {"hex", "hex FILE N", cmd_hex},
    {"dd", "dd FILE COUNT [BS [nohash]]", cmd_dd},
    {"mount", "mount [-t TYPE] [-r] DEVICE DIR", cmd_mount},
    {"umount", "umount DIR", cmd_umount},
    {"mkdir", "mkdir DIR...", cmd_mkdir},
    {"rm", "rm FILE...", cmd_rm},
    {"sync", "sync", cmd_sync},
    {"netup", "netup IF", cmd_netup},
    {"netsend", "netsend IF HEXFRAME", cmd_netsend},
    {"netrecv", "netrecv IF [SECONDS]", cmd_netrecv},
    {"netflood", "netflood IF COUNT SIZE", cmd_netflood},
    {"netsink", "netsink IF COUNT", cmd_netsink},
    {"uname", "uname", cmd_uname},
    {"harts", "harts", cmd_harts},
    {"wait", "wait FILE [SECONDS]", cmd_wait},
    {"poweroff", "poweroff", cmd_poweroff},
    {"reboot", "reboot", cmd_reboot},
    {"run", "run FILE", cmd_run},
    {"help", "help", cmd_help},
};

static int cmd_help(int argc, char **argv) {
    (void)argc; (void)argv;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) printf("%s\n", commands[i].usage);
    printf("any command > FILE\n");
    return 0;
}

// Runs one command line: words split on blanks, an optional `> FILE` at the end.
static void run_line(char *line);

// run FILE: runs each line of FILE as if typed. The kernel hands init at most 32 words from its
// command line (MAX_INIT_ARGS; more and it panics before the console is up), so longer scripts
// live in a file.
static int cmd_run(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: run FILE\n"); return 1; }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) { fail("run", argv[1]); return 1; }
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = 0;
        if (strspn(line, " ") == strlen(line)) continue;
        printf(PROMPT "%s\n", line);
        run_line(line);
    }
    fclose(f);
    return 0;
}

static void run_line(char *line) {
    char *argv[MAX_WORDS + 1];
    int argc = 0;
    const char *redirect = NULL;
    for (char *w = strtok(line, " \t\r\n"); w != NULL; w = strtok(NULL, " \t\r\n")) {
        if (strcmp(w, ">") == 0) { redirect = strtok(NULL, " \t\r\n"); break; }
        if (argc == MAX_WORDS) { fprintf(stderr, "too many words\n"); return; }
        argv[argc++] = w;
    }
    argv[argc] = NULL;
    if (argc == 0) return;
    const struct command *c = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, argv[0]) == 0) c = &commands[i];
    if (c == NULL) { fprintf(stderr, "%s: unknown command (try help)\n", argv[0]); return; }

    int saved = -1;
    if (redirect != NULL) {
        int fd = open(redirect, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) { fail(argv[0], redirect); return; }
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    c->run(argc, argv);
    fflush(stdout);
    if (saved >= 0) { dup2(saved, STDOUT_FILENO); close(saved); }
}

// On a disk root the kernel may have mounted devtmpfs on /dev already (CONFIG_DEVTMPFS_MOUNT); a root
// made without the mount points gets them if it is writable.
static void mount_or_say(const char *source, const char *dir, const char *type) {
    if (mkdir(dir, 0755) < 0 && errno != EEXIST && errno != EROFS) fail("init: mkdir", dir);
    struct stat root, here;
    if (strcmp(type, "devtmpfs") == 0 && stat("/", &root) == 0 && stat(dir, &here) == 0 && here.st_dev != root.st_dev)
        return;
    if (mount(source, dir, type, 0, NULL) < 0 && errno != EBUSY) fail("init: mount", dir);
}

// The kernel opens the console for PID 1 before it mounts a disk root; should it have found none, the
// console device in the fresh /dev serves.
static void open_console(void) {
    if (fcntl(STDIN_FILENO, F_GETFD) >= 0) return;
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0) return;
    for (int i = 0; i < 3; i++)
        if (fd != i) dup2(fd, i);
    if (fd > 2) close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    mount_or_say("devtmpfs", "/dev", "devtmpfs");
    open_console();
    mount_or_say("proc", "/proc", "proc");
    mount_or_say("sysfs", "/sys", "sysfs");
    printf("rewind-linux: init up, harts online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));

    // The command line's words after `--`, as commands separated by ';'.
    char script[4096] = "";
    for (int i = 1; i < argc; i++) {
        if (strlen(script) + strlen(argv[i]) + 2 >= sizeof script) break;
        strcat(script, argv[i]);
        strcat(script, " ");
    }
    for (char *next = script, *cmd; (cmd = strsep(&next, ";")) != NULL;) {
        cmd += strspn(cmd, " ");
        for (size_t n = strlen(cmd); n > 0 && cmd[n - 1] == ' '; n--) cmd[n - 1] = '\0';
        if (*cmd == '\0') continue;
        printf(PROMPT "%s\n", cmd);
        run_line(cmd);
    }

    char line[1024];
    for (;;) {
        fputs(PROMPT, stdout);
        fflush(stdout);
        if (fgets(line, sizeof line, stdin) == NULL) {
            // End of input (Ctrl-D) or no console: keep serving it, without spinning.
            clearerr(stdin);
            sleep(1);
            continue;
        }
        run_line(line);
    }
}
