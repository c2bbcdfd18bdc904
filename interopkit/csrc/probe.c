/*
 * The kit's probe: a tiny program that reports, as one line of JSON, what kind of process it
 * is and what address space it gets. interopkit.host runs the 32-bit build to find out whether
 * this machine can run 32-bit x86 processes at all (by running one, not by guessing), and the
 * WOW64 lesson runs both builds and charts what they report.
 *
 * Built by interopkit/build.py as static Linux executables (i386, x86_64) and as Windows EXEs
 * (x86, x64, ARM64) that import only KERNEL32 functions. The exit status is the pointer size,
 * so even a caller that cannot read stdout learns the answer.
 *
 * Reported fields: probe, os, arch, pointer_size; code, stack and heap addresses; reserved_bytes
 * and highest_address, from reserving address space (never touching it) in halving chunks until
 * the system refuses, a bounded number of times; syscall_abi; on Windows also the machines
 * IsWow64Process2 reports and the WOW64 environment variables.
 *
 * No printf: the Windows builds have no C runtime, so the JSON is written by hand.
 */
#include <stdint.h>

#if defined(__i386__)
#define IK_ARCH "i386"
#elif defined(__x86_64__)
#define IK_ARCH "x86_64"
#elif defined(__aarch64__)
#define IK_ARCH "aarch64"
#else
#error "unsupported target"
#endif

#define MAX_RESERVATIONS 4096 /* bounds the run: a few ms on any host */

#if defined(_WIN32)
#define IK_OS "windows"
typedef void *HANDLE;
__declspec(dllimport) HANDLE __stdcall GetStdHandle(uint32_t which);
__declspec(dllimport) int __stdcall WriteFile(HANDLE file, const void *data, uint32_t size,
                                              uint32_t *written, void *overlapped);
__declspec(dllimport) void __stdcall ExitProcess(uint32_t code);
__declspec(dllimport) void *__stdcall VirtualAlloc(void *address, uintptr_t size, uint32_t type,
                                                   uint32_t protect);
__declspec(dllimport) HANDLE __stdcall GetProcessHeap(void);
__declspec(dllimport) void *__stdcall HeapAlloc(HANDLE heap, uint32_t flags, uintptr_t size);
__declspec(dllimport) HANDLE __stdcall GetModuleHandleA(const char *name);
__declspec(dllimport) void *__stdcall GetProcAddress(HANDLE module, const char *name);
__declspec(dllimport) HANDLE __stdcall GetCurrentProcess(void);
__declspec(dllimport) uint32_t __stdcall GetEnvironmentVariableA(const char *name, char *buffer,
                                                                 uint32_t size);
#define STD_OUTPUT_HANDLE ((uint32_t)-11)
#define MEM_RESERVE 0x2000
#define PAGE_NOACCESS 0x01
static void write_out(const char *data, uint32_t size) {
  uint32_t written;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), data, size, &written, 0);
}
static void *reserve(uintptr_t size) { return VirtualAlloc(0, size, MEM_RESERVE, PAGE_NOACCESS); }
static void *heap_block(void) { return HeapAlloc(GetProcessHeap(), 0, 64); }
#if defined(__i386__)
#define IK_SYSCALLS "x86 Windows system calls; under WOW64 its ntdll calls into wow64cpu"
#else
#define IK_SYSCALLS "native Windows system calls (syscall/svc from ntdll)"
#endif
#else
#define IK_OS "linux"
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
static void write_out(const char *data, uint32_t size) { (void)!write(1, data, size); }
static void *reserve(uintptr_t size) {
  void *got = mmap(0, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return got == MAP_FAILED ? 0 : got;
}
static void *heap_block(void) { return malloc(64); }
#if defined(__i386__)
#define IK_SYSCALLS "i386 Linux ABI (int 0x80 or vDSO sysenter); a 64-bit kernel's IA-32 entry"
#elif defined(__x86_64__)
#define IK_SYSCALLS "x86-64 Linux ABI (syscall instruction)"
#else
#define IK_SYSCALLS "AArch64 Linux ABI (svc #0)"
#endif
#endif

static char out[2048];
static uint32_t used;

static void put(const char *text) {
  while (*text && used < sizeof out) out[used++] = *text++;
}

static void put_hex(uint64_t value) {
  char digits[19];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xF];
    value >>= 4;
  } while (value);
  put("\"0x");
  while (n) {
    char one[2] = {digits[--n], 0};
    put(one);
  }
  put("\"");
}

static void put_dec(uint64_t value) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  while (n) {
    char one[2] = {digits[--n], 0};
    put(one);
  }
}

static void field_hex(const char *name, uint64_t value) {
  put(", \"");
  put(name);
  put("\": ");
  put_hex(value);
}

/* Reserve as much address space as the system allows, largest chunks first. */
static void measure(uint64_t *total, uint64_t *highest) {
  uintptr_t chunk = sizeof(void *) == 8 ? (uintptr_t)1 << 40 : (uintptr_t)1 << 30;
  const uintptr_t smallest = (uintptr_t)1 << 20;
  *total = 0;
  *highest = 0;
  for (int tries = 0; tries < MAX_RESERVATIONS && chunk >= smallest; tries++) {
    char *got = reserve(chunk);
    if (!got) {
      chunk /= 2;
      continue;
    }
    *total += chunk;
    if ((uint64_t)(uintptr_t)(got + chunk - 1) > *highest)
      *highest = (uint64_t)(uintptr_t)(got + chunk - 1);
  }
}

#if defined(_WIN32)
static void windows_fields(void) {
  typedef int(__stdcall * query_t)(HANDLE, uint16_t *, uint16_t *);
  query_t query = (query_t)GetProcAddress(GetModuleHandleA("kernel32.dll"), "IsWow64Process2");
  uint16_t process = 0, native = 0;
  char value[128];
  static const char *const names[] = {"PROCESSOR_ARCHITECTURE", "PROCESSOR_ARCHITEW6432",
                                      "ProgramFiles", "ProgramW6432", "CommonProgramFiles"};
  if (query && query(GetCurrentProcess(), &process, &native)) {
    put(", \"wow64_process_machine\": ");
    put_dec(process);
    put(", \"native_machine\": ");
    put_dec(native);
  }
  put(", \"environment\": {");
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
    uint32_t n = GetEnvironmentVariableA(names[i], value, sizeof value);
    put(i ? ", \"" : "\"");
    put(names[i]);
    put("\": ");
    if (n == 0 || n >= sizeof value) {
      put("null");
    } else {
      put("\"");
      for (uint32_t k = 0; k < n; k++) {
        char one[3] = {value[k], 0, 0};
        if (value[k] == '\\' || value[k] == '"') {
          one[0] = '\\';
          one[1] = value[k];
        }
        put(one);
      }
      put("\"");
    }
  }
  put("}");
}
#endif

static int probe_main(void) {
  int on_stack = 0;
  uint64_t total, highest;
  measure(&total, &highest);
  put("{\"probe\": \"interopkit\", \"os\": \"" IK_OS "\", \"arch\": \"" IK_ARCH
      "\", \"pointer_size\": ");
  put_dec(sizeof(void *));
  field_hex("code_address", (uint64_t)(uintptr_t)&probe_main);
  field_hex("stack_address", (uint64_t)(uintptr_t)&on_stack);
  field_hex("heap_address", (uint64_t)(uintptr_t)heap_block());
  put(", \"reserved_bytes\": ");
  put_dec(total);
  field_hex("highest_address", highest);
  put(", \"syscall_abi\": \"" IK_SYSCALLS "\"");
#if defined(_WIN32)
  windows_fields();
#endif
  put("}\n");
  write_out(out, used);
  return (int)sizeof(void *);
}

#if defined(_WIN32)
/* No C runtime on Windows: the linker is told to start here (see build.py). */
void probe_entry(void) { ExitProcess((uint32_t)probe_main()); }
#else
int main(void) { return probe_main(); }
#endif
