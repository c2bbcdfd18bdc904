/*
 * The kit's probe: a tiny program that reports, as one line of JSON, what kind of process it
 * is and what address space it gets. interopkit.kit.host runs the 32-bit build to find out whether
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
 * IsWow64Process2 reports and the WOW64 environment variables. INTEROPKIT_PROBE_CAP_GIB, if set,
 * caps the reservation (reported as cap_bytes): Wine keeps bookkeeping per reserved page, so
 * reserving the whole 128 TiB there exhausts memory, while Linux and Windows do it at once.
 *
 * Run as "probe list FOLDER" it instead lists the folder's entries, as this process sees it:
 * on 64-bit Windows a 32-bit probe asking for System32 is shown SysWOW64 (the redirector at
 * work), which the WOW64 lesson puts beside the 64-bit probe's listing.
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
#define MAX_ENTRIES 400        /* bounds a listing */

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
typedef struct {
  uint32_t attributes;
  uint32_t times[6];
  uint32_t size_high, size_low, reserved0, reserved1;
  char name[260];
  char short_name[14];
} find_data_t;
__declspec(dllimport) HANDLE __stdcall FindFirstFileA(const char *pattern, find_data_t *data);
__declspec(dllimport) int __stdcall FindNextFileA(HANDLE find, find_data_t *data);
__declspec(dllimport) int __stdcall FindClose(HANDLE find);
__declspec(dllimport) char *__stdcall GetCommandLineA(void);
#define INVALID_HANDLE ((HANDLE)(intptr_t)-1)
#define STD_OUTPUT_HANDLE ((uint32_t)-11)
#define MEM_RESERVE 0x2000
#define PAGE_NOACCESS 0x01
static void write_out(const char *data, uint32_t size) {
  uint32_t written;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), data, size, &written, 0);
}
static void *reserve(uintptr_t size) { return VirtualAlloc(0, size, MEM_RESERVE, PAGE_NOACCESS); }
static void *heap_block(void) { return HeapAlloc(GetProcessHeap(), 0, 64); }
static const char *env(const char *name) {
  static char value[32];
  uint32_t n = GetEnvironmentVariableA(name, value, sizeof value);
  return n && n < sizeof value ? value : 0;
}
#if defined(__i386__)
#define IK_SYSCALLS "x86 Windows system calls; under WOW64 its ntdll calls into wow64cpu"
#else
#define IK_SYSCALLS "native Windows system calls (syscall/svc from ntdll)"
#endif
#else
#define IK_OS "linux"
#include <dirent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
static void write_out(const char *data, uint32_t size) { (void)!write(1, data, size); }
static void *reserve(uintptr_t size) {
  void *got = mmap(0, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return got == MAP_FAILED ? 0 : got;
}
static void *heap_block(void) { return malloc(64); }
static const char *env(const char *name) { return getenv(name); }
#if defined(__i386__)
#define IK_SYSCALLS "i386 Linux ABI (int 0x80 or vDSO sysenter); a 64-bit kernel's IA-32 entry"
#elif defined(__x86_64__)
#define IK_SYSCALLS "x86-64 Linux ABI (syscall instruction)"
#else
#define IK_SYSCALLS "AArch64 Linux ABI (svc #0)"
#endif
#endif

static char out[32768];
#define ROOM_FOR_ONE_MORE (sizeof out - 600) /* a name (260) escaped, and the closing text */
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

static void put_str(const char *text) {
  put("\"");
  for (; *text; text++) {
    unsigned char c = (unsigned char)*text;
    if (c == '\\' || c == '"') {
      char two[3] = {'\\', (char)c, 0};
      put(two);
    } else if (c >= 0x20 && c < 0x7f) {
      char one[2] = {(char)c, 0};
      put(one);
    } else {
      put("?"); /* names are shown, not used: keep the JSON plain ASCII */
    }
  }
  put("\"");
}

static void field_hex(const char *name, uint64_t value) {
  put(", \"");
  put(name);
  put("\": ");
  put_hex(value);
}

/* The optional cap on the reservation, in bytes (0: none). */
static uint64_t reservation_cap(void) {
  const char *text = env("INTEROPKIT_PROBE_CAP_GIB");
  uint64_t gib = 0;
  for (; text && *text >= '0' && *text <= '9'; text++) gib = gib * 10 + (uint64_t)(*text - '0');
  return gib << 30;
}

/* Reserve as much address space as the system allows, largest chunks first. */
static void measure(uint64_t cap, uint64_t *total, uint64_t *highest) {
  uintptr_t chunk = sizeof(void *) == 8 ? (uintptr_t)1 << 40 : (uintptr_t)1 << 30;
  const uintptr_t smallest = (uintptr_t)1 << 20;
  *total = 0;
  *highest = 0;
  for (int tries = 0; tries < MAX_RESERVATIONS && chunk >= smallest; tries++) {
    if (cap && *total + chunk > cap) {
      chunk /= 2;
      continue;
    }
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

static void list_head(const char *folder) {
  put("{\"probe\": \"interopkit\", \"os\": \"" IK_OS "\", \"arch\": \"" IK_ARCH
      "\", \"pointer_size\": ");
  put_dec(sizeof(void *));
  put(", \"folder\": ");
  put_str(folder);
  put(", \"entries\": [");
}

#if defined(_WIN32)
static int list_folder(const char *folder) {
  static char pattern[600];
  find_data_t data;
  unsigned n = 0, count = 0;
  int wildcard = 0;
  while (folder[n] && n < sizeof pattern - 3) {
    wildcard |= folder[n] == '*' || folder[n] == '?';
    pattern[n] = folder[n];
    n++;
  }
  if (!wildcard) { /* a folder: list all of it; a pattern (wow64*) is passed on as it is */
    pattern[n++] = '\\';
    pattern[n++] = '*';
  }
  pattern[n] = 0;
  list_head(folder);
  HANDLE find = FindFirstFileA(pattern, &data);
  if (find != INVALID_HANDLE) {
    do {
      if (used > ROOM_FOR_ONE_MORE) break;
      if (data.name[0] == '.' && (!data.name[1] || (data.name[1] == '.' && !data.name[2])))
        continue;
      if (count++) put(", ");
      put_str(data.name);
    } while (count < MAX_ENTRIES && FindNextFileA(find, &data));
    FindClose(find);
  }
  put("], \"found\": ");
  put(find != INVALID_HANDLE ? "true" : "false");
  put("}\n");
  write_out(out, used);
  return 0;
}
#else
static int list_folder(const char *folder) {
  unsigned count = 0;
  DIR *dir = opendir(folder);
  list_head(folder);
  if (dir) {
    struct dirent *entry;
    while (count < MAX_ENTRIES && used <= ROOM_FOR_ONE_MORE && (entry = readdir(dir))) {
      const char *name = entry->d_name;
      if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) continue;
      if (count++) put(", ");
      put_str(name);
    }
    closedir(dir);
  }
  put("], \"found\": ");
  put(dir ? "true" : "false");
  put("}\n");
  write_out(out, used);
  return 0;
}
#endif

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
  uint64_t total, highest, cap = reservation_cap();
  measure(cap, &total, &highest);
  put("{\"probe\": \"interopkit\", \"os\": \"" IK_OS "\", \"arch\": \"" IK_ARCH
      "\", \"pointer_size\": ");
  put_dec(sizeof(void *));
  field_hex("code_address", (uint64_t)(uintptr_t)&probe_main);
  field_hex("stack_address", (uint64_t)(uintptr_t)&on_stack);
  field_hex("heap_address", (uint64_t)(uintptr_t)heap_block());
  put(", \"reserved_bytes\": ");
  put_dec(total);
  field_hex("highest_address", highest);
  put(", \"cap_bytes\": ");
  put_dec(cap);
  put(", \"syscall_abi\": \"" IK_SYSCALLS "\"");
#if defined(_WIN32)
  windows_fields();
#endif
  put("}\n");
  write_out(out, used);
  return (int)sizeof(void *);
}

#if defined(_WIN32)
/* The folder after "list" on the command line (quotes allowed), or 0. */
static const char *listed_folder(void) {
  static char folder[520];
  const char *line = GetCommandLineA();
  int quoted = 0;
  while (*line && (quoted || (*line != ' ' && *line != '\t'))) { /* the program's own name */
    if (*line == '"') quoted = !quoted;
    line++;
  }
  while (*line == ' ' || *line == '\t') line++;
  if (line[0] != 'l' || line[1] != 'i' || line[2] != 's' || line[3] != 't' || line[4] != ' ')
    return 0;
  line += 5;
  while (*line == ' ') line++;
  unsigned n = 0;
  for (; *line && n < sizeof folder - 1; line++)
    if (*line != '"') folder[n++] = *line;
  while (n && folder[n - 1] == ' ') n--;
  folder[n] = 0;
  return n ? folder : 0;
}

/* No C runtime on Windows: the linker is told to start here (see build.py). */
void probe_entry(void) {
  const char *folder = listed_folder();
  ExitProcess(folder ? (uint32_t)list_folder(folder) : (uint32_t)probe_main());
}
#else
int main(int argc, char **argv) {
  if (argc == 3 && argv[1][0] == 'l' && argv[1][1] == 'i' && argv[1][2] == 's' &&
      argv[1][3] == 't' && !argv[1][4])
    return list_folder(argv[2]);
  return probe_main();
}
#endif
