// The whole userland of Rewind's Linux workload: a static /init that mounts /dev, /proc and /sys,
// then reads commands from the console after the prompt `rewind-linux# `. Its commands are the few
// that tests and benchmarks need, with output that is easy to check from a test.
//
// Words after `--` on the kernel command line run first, as commands separated by ';'
// (e.g. `-append "console=ttyS0 -- hex /dev/hwrng 16; poweroff"`), so a run needs no typing.
// Any command may end with `> FILE` to send its output to FILE.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
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

// dd FILE COUNT [BS]: reads COUNT bytes (K, M suffixes) in blocks of BS (default 64K) and prints
// how many it got, their FNV-1a hash, and the guest's elapsed time.
static long size_arg(const char *s) {
    char *end;
    long v = strtol(s, &end, 0);
    if (*end == 'K' || *end == 'k') v *= 1024;
    else if (*end == 'M' || *end == 'm') v *= 1024 * 1024;
    return v;
}

static int cmd_dd(int argc, char **argv) {
    if (argc < 3 || argc > 4) { fprintf(stderr, "usage: dd FILE COUNT [BS]\n"); return 1; }
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

static int cmd_harts(int argc, char **argv) {
    (void)argc; (void)argv;
    printf("harts online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    return 0;
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

static const struct command {
    const char *name, *usage;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"echo", "echo WORDS...", cmd_echo},
    {"cat", "cat FILE...", cmd_cat},
    {"ls", "ls [DIR]", cmd_ls},
    {"write", "write FILE WORDS...", cmd_write},
    {"hex", "hex FILE N", cmd_hex},
    {"dd", "dd FILE COUNT [BS]", cmd_dd},
    {"mount", "mount [-t TYPE] [-r] DEVICE DIR", cmd_mount},
    {"umount", "umount DIR", cmd_umount},
    {"mkdir", "mkdir DIR...", cmd_mkdir},
    {"rm", "rm FILE...", cmd_rm},
    {"sync", "sync", cmd_sync},
    {"uname", "uname", cmd_uname},
    {"harts", "harts", cmd_harts},
    {"poweroff", "poweroff", cmd_poweroff},
    {"reboot", "reboot", cmd_reboot},
    {"help", "help", cmd_help},
};

static int cmd_help(int argc, char **argv) {
    (void)argc; (void)argv;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) printf("%s\n", commands[i].usage);
    printf("any command > FILE\n");
    return 0;
}

// Runs one command line: words split on blanks, an optional `> FILE` at the end.
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

static void mount_or_say(const char *source, const char *dir, const char *type) {
    if (mount(source, dir, type, 0, NULL) < 0 && errno != EBUSY) fail("init: mount", dir);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    mount_or_say("devtmpfs", "/dev", "devtmpfs");
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
        if (strspn(cmd, " ") == strlen(cmd)) continue;
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
