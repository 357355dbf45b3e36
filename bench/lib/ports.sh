# Helpers the benchmark scripts share; sourced, not run: `. "$root/bench/lib/ports.sh"`.

# A TCP port free on the loopback now (the kernel's choice), for -gdb tcp::PORT and the like.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Waits until something listens on PORT (IPv4 or IPv6), polling /proc every 50 ms for at most
# TRIES polls (default 600: 30 s); returns 1 if it never does, or at once if PID (optional) has ended.
wait_listen() {
  local port="$1" tries="${2:-600}" pid="${3:-}"
  for _ in $(seq "$tries"); do
    grep -q ":$(printf '%04X' "$port") .* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
    sleep 0.05
  done
  return 1
}
