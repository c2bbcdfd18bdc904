/*
 * The kit's DLL surrogate: like dllhost.exe, a process that hosts a DLL and calls it on behalf
 * of a client in another process, possibly of the other bitness.
 *
 *   surrogate-i386   PATH_TO_X86_DLL     Linux: a real 32-bit process on a 64-bit kernel
 *   surrogate-x86_64 PATH_TO_X64_DLL
 *   surrogate_x86.exe PATH_TO_X86_DLL    Windows (a WOW64 process on 64-bit Windows)
 *   surrogate_x64.exe PATH_TO_X64_DLL    Windows, or Linux under Wine
 *
 * On Windows the DLL is loaded as dllhost.exe loads it, with LoadLibraryW, and exports are
 * found with GetProcAddress. On Linux there is no Windows loader, so the surrogate maps an
 * import-free DLL itself: copies the headers and sections, applies base relocations if it
 * cannot have its preferred base, finds exports by name, and calls DllMain. Calls use the
 * DLL's own conventions: cdecl or stdcall (a name decorated "@N") on x86, which Linux and
 * Windows share; the Microsoft x64 convention (ms_abi) on x86-64. Requests and replies are
 * frames on stdin/stdout, in the format declared by interopkit/surrogate/wire.py (wire.h is generated
 * from it). A malformed frame gets an error reply, never a crash, and the surrogate stays
 * framed whatever a peer sends (a payload it refuses is still read, and dropped). A malformed
 * DLL is refused with an error reply: every table the loader reads is checked against the
 * image's size first. A fault inside the DLL ends the process, and the client reports its exit
 * status. On Linux the surrogate asks the kernel to kill it when its client ends (a parent-death
 * signal), so that a client killed in the middle of a call leaves no surrogate behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
#define IK_OS "windows"
#define IK_LOADER "LoadLibraryW"
#else
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#define IK_OS "linux"
#define IK_LOADER "interopkit PE loader"
#endif

#include "wire.h"

#if defined(__i386__)
#define IK_MACHINE 0x014C
#define IK_MAGIC 0x10B
#define IK_DIRS 96 /* offset of the data directories in the optional header (PE32) */
#define IK_ARCH "i386"
#define IK_REL_TYPE 3 /* IMAGE_REL_BASED_HIGHLOW */
#elif defined(__x86_64__)
#define IK_MACHINE 0x8664
#define IK_MAGIC 0x20B
#define IK_DIRS 112 /* PE32+ */
#define IK_ARCH "x86_64"
#define IK_REL_TYPE 10 /* IMAGE_REL_BASED_DIR64 */
#else
#error "the surrogate is built for i386 and x86_64"
#endif

#define MAX_ARGS 16

static uint8_t *image;       /* the mapped DLL */
static uint32_t image_size;
static uint32_t export_rva;  /* the export directory, checked against image_size at load */
static uint32_t export_size;
static uintptr_t preferred_base;
static char load_error[512]; /* empty when the DLL is loaded */
static const char *dll_path;
static const char *dll_name; /* the file name: messages name the DLL, not the folders above it */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v) {
  wr32(p, (uint32_t)v);
  wr32(p + 4, (uint32_t)(v >> 32));
}

/* True when [rva, rva + size) lies in the image; 64-bit sums, so that no RVA can wrap. */
static int inside(uint64_t rva, uint64_t size) {
  return rva <= image_size && size <= image_size - rva;
}

/* ---- the loader ------------------------------------------------------------------------- */
#if defined(_WIN32)

/* A fault in the DLL ends the process with the exception code as its exit status, after one
 * line on stderr: no dialog box, no debugger writing into the reply pipe. */
static LONG WINAPI crashed(EXCEPTION_POINTERS *e) {
  char line[160];
  DWORD put;
  int n = snprintf(line, sizeof line, "exception 0x%08lX at %p in the hosted DLL\n",
                   (unsigned long)e->ExceptionRecord->ExceptionCode,
                   e->ExceptionRecord->ExceptionAddress);
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), line, (DWORD)n, &put, 0);
  TerminateProcess(GetCurrentProcess(), e->ExceptionRecord->ExceptionCode);
  return EXCEPTION_EXECUTE_HANDLER;
}

/* As dllhost.exe does: the Windows loader maps the DLL, resolves its imports, calls DllMain. */
static int load_dll(const wchar_t *path) {
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX); /* no dialog boxes, ever */
  SetUnhandledExceptionFilter(crashed);
  HMODULE module = LoadLibraryW(path);
  if (!module) {
    DWORD code = GetLastError();
    const char *name = code == 2 ? " ERROR_FILE_NOT_FOUND" : code == 126 ? " ERROR_MOD_NOT_FOUND"
                       : code == 193 ? " ERROR_BAD_EXE_FORMAT" : "";
    snprintf(load_error, sizeof load_error, "%s: LoadLibraryW failed (error %lu%s) in the %d-bit "
             IK_ARCH " surrogate", dll_name, (unsigned long)code, name, (int)(8 * sizeof(void *)));
    return -1;
  }
  image = (uint8_t *)module;
  const uint8_t *opt = image + rd32(image + 0x3C) + 24;
  image_size = rd32(opt + 56);
  preferred_base = sizeof(void *) == 4 ? rd32(opt + 28) : (uintptr_t)rd64(opt + 24);
  export_rva = rd32(opt + IK_DIRS); /* the Windows loader has checked the image */
  export_size = rd32(opt + IK_DIRS + 4);
  return 0;
}

static void *lookup(const char *name) { return (void *)GetProcAddress((HMODULE)image, name); }

#else

static int fail(const char *message) {
  snprintf(load_error, sizeof load_error, "%s: %s", dll_name, message);
  return -1;
}

/* Every table of the export directory inside the image, every name ending inside it: what
 * find_export reads afterwards cannot leave the image. */
static int check_exports(uint32_t size) {
  if (!inside(export_rva, 40) || size < 40)
    return fail("has an export directory outside the image");
  const uint8_t *table = image + export_rva;
  uint32_t names = rd32(table + 24), functions = rd32(table + 20);
  if (!inside(rd32(table + 28), 4ull * functions))
    return fail("has an export address table outside the image");
  if (!inside(rd32(table + 32), 4ull * names) || !inside(rd32(table + 36), 2ull * names))
    return fail("has an export name or ordinal table outside the image");
  for (uint32_t i = 0; i < names; i++) {
    uint32_t at = rd32(image + rd32(table + 32) + 4 * i);
    if (at >= image_size || !memchr(image + at, 0, image_size - at))
      return fail("has an export name outside the image");
  }
  return 0;
}

static uint8_t *read_file(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  size_t cap = 1 << 16, used = 0;
  uint8_t *data = malloc(cap);
  if (!data) {
    close(fd);
    return 0;
  }
  for (;;) {
    if (used == cap) {
      if (cap > (256u << 20)) break; /* the kit maps images up to 256 MiB */
      uint8_t *bigger = realloc(data, cap *= 2);
      if (!bigger) break;
      data = bigger;
    }
    ssize_t got = read(fd, data + used, cap - used);
    if (got <= 0) break;
    used += (size_t)got;
  }
  close(fd);
  *size = used;
  return data;
}

static int load_dll(const char *path) {
  size_t size = 0;
  uint8_t *file = read_file(path, &size);
  if (!file) return fail("cannot be read");
  if (size < 0x40 || file[0] != 'M' || file[1] != 'Z') return fail("is not a PE image");
  uint32_t pe = rd32(file + 0x3C);
  if (pe > size - 24 || memcmp(file + pe, "PE\0\0", 4)) return fail("has no PE signature");
  uint16_t machine = rd16(file + pe + 4), sections = rd16(file + pe + 6);
  uint16_t optional_size = rd16(file + pe + 20);
  const uint8_t *opt = file + pe + 24;
  if (machine != IK_MACHINE) {
    snprintf(load_error, sizeof load_error, "%s: is a DLL for machine 0x%04X; this is the %d-bit "
             IK_ARCH " surrogate (ERROR_BAD_EXE_FORMAT, 193)", dll_name, machine,
             (int)(8 * sizeof(void *)));
    return -1;
  }
  if (optional_size < IK_DIRS || (size_t)(opt - file) + optional_size > size ||
      rd16(opt) != IK_MAGIC)
    return fail("has an optional header of the wrong format");
#if defined(__i386__)
  preferred_base = rd32(opt + 28);
#else
  preferred_base = (uintptr_t)rd64(opt + 24);
#endif
  const uint8_t *dirs = opt + IK_DIRS;
  image_size = rd32(opt + 56);
  uint32_t headers = rd32(opt + 60), entry = rd32(opt + 16), count = rd32(dirs - 4);
  if (!image_size || image_size > (256u << 20) || headers > size || headers > image_size)
    return fail("has impossible sizes in its headers");
  if (count > 16) count = 16; /* as the Windows loader reads it: 16 directories at most */
  if (IK_DIRS + 8u * count > optional_size)
    return fail("has more data directories than its optional header holds");
  if (entry >= image_size) return fail("has its entry point outside the image");
  if (count > 1 && rd32(dirs + 8)) { /* the IMPORT directory: nothing here could resolve it */
    return fail("imports functions from other DLLs: the Linux surrogate hosts import-free "
                "DLLs only (build it with -nostdlib)");
  }
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  void *at = mmap((void *)preferred_base, image_size, PROT_READ | PROT_WRITE | PROT_EXEC,
                  flags | MAP_FIXED_NOREPLACE, -1, 0);
  if (at == MAP_FAILED || at != (void *)preferred_base) {
    if (at != MAP_FAILED) munmap(at, image_size);
    at = mmap(0, image_size, PROT_READ | PROT_WRITE | PROT_EXEC, flags, -1, 0);
    if (at == MAP_FAILED) return fail("cannot be mapped (out of address space)");
  }
  image = at;
  memcpy(image, file, headers);
  const uint8_t *table = opt + optional_size;
  for (unsigned i = 0; i < sections; i++, table += 40) {
    if ((size_t)(table + 40 - file) > size) return fail("is truncated in its section table");
    uint32_t vsize = rd32(table + 8), rva = rd32(table + 12), raw = rd32(table + 16),
             from = rd32(table + 20);
    uint32_t n = vsize && vsize < raw ? vsize : raw;
    if ((uint64_t)from + n > size || (uint64_t)rva + n > image_size)
      return fail("has a section outside the file or the image");
    memcpy(image + rva, file + from, n);
  }
  export_rva = count > 0 ? rd32(dirs) : 0;
  export_size = count > 0 ? rd32(dirs + 4) : 0;
  if (export_rva && check_exports(export_size)) return -1;
  intptr_t delta = (intptr_t)((uintptr_t)image - preferred_base);
  if (delta && count > 5) { /* BASERELOC directory */
    uint32_t rva = rd32(dirs + 40), length = rd32(dirs + 44), done = 0;
    if (!inside(rva, length)) return fail("has a relocation directory outside the image");
    while (done + 8 <= length) {
      uint32_t page = rd32(image + rva + done), block = rd32(image + rva + done + 4);
      if (block < 8) break; /* padding after the last block */
      if (block > length - done) return fail("has a relocation block that overruns its table");
      for (uint32_t k = 8; k + 2 <= block; k += 2) {
        uint16_t entry16 = rd16(image + rva + done + k);
        uint64_t where = (uint64_t)page + (entry16 & 0xFFF);
        if ((entry16 >> 12) == 0) continue;
        if ((entry16 >> 12) != IK_REL_TYPE || !inside(where, sizeof(void *)))
          return fail("has a relocation the surrogate cannot apply (outside the image or of "
                      "an unknown type)");
#if defined(__i386__)
        wr32(image + where, rd32(image + where) + (uint32_t)delta);
#else
        wr64(image + where, rd64(image + where) + (uint64_t)delta);
#endif
      }
      done += block;
    }
  } else if (delta) {
    return fail("has no relocations and cannot be moved from its preferred base");
  }
  free(file);
  if (entry) {
#if defined(__i386__)
    typedef int(__attribute__((stdcall)) * dll_main_t)(void *, uint32_t, void *);
#else
    typedef int(__attribute__((ms_abi)) * dll_main_t)(void *, uint32_t, void *);
#endif
    if (!((dll_main_t)(image + entry))(image, 1 /* DLL_PROCESS_ATTACH */, 0))
      return fail("DllMain refused DLL_PROCESS_ATTACH");
  }
  return 0;
}

#endif

/* The export directory of the mapped image: a function by name, and the number of names. On
 * Linux, load_dll has checked each table against the image (check_exports); a function's RVA
 * is checked here, as it is read. */
static void *find_export(const char *name, uint32_t *exports_seen) {
  *exports_seen = 0;
  if (!export_rva || !inside(export_rva, 40)) return 0;
  const uint8_t *table = image + export_rva;
  uint32_t names = rd32(table + 24), functions = rd32(table + 20);
  uint32_t address_table = rd32(table + 28), name_table = rd32(table + 32);
  uint32_t ordinals = rd32(table + 36);
  *exports_seen = names;
  for (uint32_t i = 0; i < names; i++) {
    uint32_t at = rd32(image + name_table + 4 * i);
    if (at < image_size && !strcmp((const char *)image + at, name)) {
      uint16_t ordinal = rd16(image + ordinals + 2 * i);
      if (ordinal >= functions) return 0;
      uint32_t rva = rd32(image + address_table + 4 * ordinal);
      /* an RVA inside the export directory is a forwarder ("OTHER.name"), not code */
      if (rva - export_rva < export_size) return 0;
      return rva && rva < image_size ? image + rva : 0;
    }
  }
  return 0;
}

#if !defined(_WIN32)
static void *lookup(const char *name) {
  uint32_t exports;
  return find_export(name, &exports);
}
#endif

/* ---- calling ---------------------------------------------------------------------------- */

typedef uintptr_t w;
#if defined(__i386__)
typedef uint64_t (*cdecl_t)(w, w, w, w, w, w, w, w, w, w, w, w, w, w, w, w);

/* stdcall pops exactly its arguments, so the call must pass exactly that many words. */
static uint64_t call_stdcall(void *fn, const w *a, int n) {
#define S(...) ((uint64_t(__attribute__((stdcall)) *)(__VA_ARGS__))fn)
  switch (n) {
    case 0: return S(void)();
    case 1: return S(w)(a[0]);
    case 2: return S(w, w)(a[0], a[1]);
    case 3: return S(w, w, w)(a[0], a[1], a[2]);
    case 4: return S(w, w, w, w)(a[0], a[1], a[2], a[3]);
    case 5: return S(w, w, w, w, w)(a[0], a[1], a[2], a[3], a[4]);
    case 6: return S(w, w, w, w, w, w)(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return S(w, w, w, w, w, w, w)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    default: return S(w, w, w, w, w, w, w, w)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  }
#undef S
}
#else
typedef uint64_t(__attribute__((ms_abi)) * cdecl_t)(w, w, w, w, w, w, w, w, w, w, w, w, w, w,
                                                      w, w);
#endif

static void free_out(uint8_t **buffers, const uint32_t *kinds, int count) {
  for (int k = 0; k < count; k++)
    if (kinds[k] == IK_ARG_OUT) free(buffers[k]);
}

/* The bytes of arguments an x86 stdcall export pops, from its decorated name ("f@8": 8), or
 * -1 for a name without that decoration (cdecl: the caller cleans up). */
static long stdcall_bytes(const char *name) {
  const char *at = strrchr(name, '@');
  if (!at || !at[1]) return -1;
  long bytes = 0;
  for (const char *c = at + 1; *c; c++) {
    if (*c < '0' || *c > '9' || bytes > 4096) return -1;
    bytes = bytes * 10 + (*c - '0');
  }
  return bytes;
}

static uint64_t invoke(void *fn, const char *name, const w *a, int n) {
#if defined(__i386__)
  if (stdcall_bytes(name) >= 0) return call_stdcall(fn, a, n);
#else
  (void)name;
  (void)n;
#endif
  /* cdecl and ms_abi: the caller cleans up, so extra words are harmless */
  return ((cdecl_t)fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                       a[11], a[12], a[13], a[14], a[15]);
}

/* ---- frames ------------------------------------------------------------------------------ */

#if defined(_WIN32)
static int read_full(uint8_t *to, uint32_t n) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  while (n) {
    DWORD got = 0;
    if (!ReadFile(in, to, n, &got, 0) || !got) return -1; /* ERROR_BROKEN_PIPE: client gone */
    to += got;
    n -= got;
  }
  return 0;
}

static void write_full(const uint8_t *from, size_t n) {
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  while (n) {
    DWORD put = 0;
    if (!WriteFile(out, from, (DWORD)n, &put, 0) || !put) ExitProcess(4); /* client gone */
    from += put;
    n -= put;
  }
}
#define process_id() ((long)GetCurrentProcessId())
#else
static int read_full(uint8_t *to, uint32_t n) {
  while (n) {
    ssize_t got = read(0, to, n);
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      return -1;
    }
    to += got;
    n -= (uint32_t)got;
  }
  return 0;
}

static void write_full(const uint8_t *from, size_t n) {
  while (n) {
    ssize_t put = write(1, from, n);
    if (put <= 0) {
      if (put < 0 && errno == EINTR) continue;
      exit(4); /* the client has gone */
    }
    from += put;
    n -= (size_t)put;
  }
}
#define process_id() ((long)getpid())
#endif

static void reply(uint32_t call_id, uint32_t status, const uint8_t *payload, uint32_t length) {
  static uint8_t small[IK_WIRE_HEADER_SIZE + 4096];
  uint8_t *header = small;
  memset(header, 0, IK_WIRE_HEADER_SIZE);
  header[IK_WIRE_OFFSET_MAGIC] = IK_WIRE_MAGIC & 0xFF;
  header[IK_WIRE_OFFSET_MAGIC + 1] = IK_WIRE_MAGIC >> 8;
  header[IK_WIRE_OFFSET_VERSION] = IK_WIRE_VERSION;
  header[IK_WIRE_OFFSET_KIND] = IK_KIND_REPLY;
  wr32(header + IK_WIRE_OFFSET_CALL_ID, call_id);
  wr32(header + IK_WIRE_OFFSET_STATUS, status);
  wr32(header + IK_WIRE_OFFSET_LENGTH, length);
  if (length <= sizeof small - IK_WIRE_HEADER_SIZE) {
    /* one write: the client wakes once, to a whole frame */
    if (length) memcpy(small + IK_WIRE_HEADER_SIZE, payload, length);
    write_full(small, IK_WIRE_HEADER_SIZE + (size_t)length);
    return;
  }
  write_full(header, IK_WIRE_HEADER_SIZE);
  write_full(payload, length);
}

static void reply_error(uint32_t call_id, uint32_t status, const char *message) {
  reply(call_id, status, (const uint8_t *)message, (uint32_t)strlen(message));
}

static void hello(uint32_t call_id) {
  char text[1024];
  uint32_t exports = 0;
  find_export("", &exports);
  int n = snprintf(text, sizeof text,
                   "{\"pid\": %ld, \"pointer_size\": %d, \"arch\": \"" IK_ARCH
                   "\", \"os\": \"" IK_OS "\", \"loader\": \"" IK_LOADER
                   "\", \"image_base\": \"0x%llx\", \"relocated\": %s, \"exports\": %u}",
                   process_id(), (int)sizeof(void *), (unsigned long long)(uintptr_t)image,
                   (uintptr_t)image == preferred_base ? "false" : "true", exports);
  reply(call_id, IK_STATUS_OK, (const uint8_t *)text, (uint32_t)n);
}

/* Parse and run one CALL; every length is checked against the payload before use, the export
 * is found before any memory is given to OUT buffers, and a reply that would be larger than
 * the wire allows is refused before the call. */
static void call(uint32_t call_id, uint8_t *p, uint32_t length) {
  char message[400], name[256];
  uint32_t at = 2;
  if (length < 2 || rd16(p) == 0 || rd16(p) > 255 || 2u + rd16(p) + 4 > length)
    return reply_error(call_id, IK_STATUS_BAD_FRAME, "malformed call: bad export name");
  memcpy(name, p + 2, rd16(p));
  name[rd16(p)] = 0;
  at += rd16(p);
  at += (4 - at % 4) % 4;
  if (at + 4 > length) return reply_error(call_id, IK_STATUS_BAD_FRAME, "malformed call");
  uint8_t returns = p[at], count = p[at + 1];
  at += 4;
  if (count > MAX_ARGS)
    return reply_error(call_id, IK_STATUS_BAD_ARGUMENT, "more than 16 arguments");
  w words[MAX_ARGS * 2] = {0};
  uint8_t *buffers[MAX_ARGS] = {0};
  uint32_t sizes[MAX_ARGS] = {0}, kinds[MAX_ARGS] = {0}, slots[MAX_ARGS] = {0};
  uint64_t out = 8; /* the reply's size */
  int n = 0, nbuf = 0;
  const char *bad = 0;
  for (int i = 0; i < count && !bad; i++) {
    if (at + 4 > length) { bad = "an argument overruns the call frame"; break; }
    uint8_t kind = p[at];
    at += 4;
    if (kind == IK_ARG_INT32) {
      if (at + 4 > length) { bad = "an argument overruns the call frame"; break; }
      words[n++] = (w)rd32(p + at);
      at += 4;
    } else if (kind == IK_ARG_INT64 || kind == IK_ARG_PTR) {
      at += (8 - at % 8) % 8;
      if (at + 8 > length) { bad = "an argument overruns the call frame"; break; }
      uint64_t value = rd64(p + at);
      at += 8;
      words[n++] = (w)value; /* a 32-bit surrogate keeps the low 32 bits, as its ABI does */
#if defined(__i386__)
      if (kind == IK_ARG_INT64) words[n++] = (w)(value >> 32);
#endif
    } else if (kind == IK_ARG_IN || kind == IK_ARG_INOUT || kind == IK_ARG_OUT) {
      if (at + 4 > length) { bad = "an argument overruns the call frame"; break; }
      uint32_t size = rd32(p + at);
      at += 4;
      if (kind != IK_ARG_OUT && size > length - at) {
        bad = "a buffer overruns the call frame";
        break;
      }
      if (size > IK_WIRE_MAX_PAYLOAD) { bad = "an out-buffer is larger than 64 MiB"; break; }
      if (kind != IK_ARG_OUT) { /* in and in-out buffers are used where they arrived */
        buffers[nbuf] = p + at;
        at += size + (4 - (4 + size) % 4) % 4;
      }
      if (kind != IK_ARG_IN) out += 4 + (uint64_t)size + (4 - size % 4) % 4;
      sizes[nbuf] = size;
      kinds[nbuf] = kind;
      slots[nbuf++] = (uint32_t)n;
      words[n++] = (w)buffers[nbuf - 1];
    } else {
      snprintf(message, sizeof message, "argument %d has unknown type %d", i, kind);
      return reply_error(call_id, IK_STATUS_BAD_ARGUMENT, message);
    }
    if (n > MAX_ARGS) { bad = "more than 16 argument words (an int64 takes two on x86)"; break; }
  }
  if (bad) return reply_error(call_id, IK_STATUS_BAD_ARGUMENT, bad);
  void *fn = lookup(name);
  if (!fn) {
    snprintf(message, sizeof message, "%s exports no function named '%s' "
             "(ERROR_PROC_NOT_FOUND, 127)", dll_name, name);
    return reply_error(call_id, IK_STATUS_UNKNOWN_EXPORT, message);
  }
#if defined(__i386__)
  /* stdcall pops exactly what its name says: any other count would unbalance the stack */
  long popped = stdcall_bytes(name);
  if (popped >= 0 && (popped != 4L * n || n > 8)) {
    snprintf(message, sizeof message, "%s pops %ld bytes of arguments (stdcall, from its "
             "name); this call passes %d (at most 32 can be passed)", name, popped, 4 * n);
    return reply_error(call_id, IK_STATUS_BAD_ARGUMENT, message);
  }
#endif
  if (out > IK_WIRE_MAX_PAYLOAD)
    return reply_error(call_id, IK_STATUS_TOO_LARGE, "the reply's buffers would be larger "
                       "than 64 MiB: send fewer or smaller out-buffers");
  uint8_t *payload = malloc((size_t)out);
  int failed = !payload;
  for (int k = 0; k < nbuf && !failed; k++) {
    if (kinds[k] != IK_ARG_OUT) continue;
    buffers[k] = calloc(1, sizes[k] ? sizes[k] : 1); /* fresh zeroed memory */
    failed = !buffers[k];
    words[slots[k]] = (w)buffers[k];
  }
  if (failed) {
    free(payload);
    free_out(buffers, kinds, nbuf);
    return reply_error(call_id, IK_STATUS_NO_MEMORY, "out of memory for the call");
  }
  uint64_t result = invoke(fn, name, words, n);
  if (returns == IK_ARG_INT32 || (sizeof(void *) == 4 && returns == IK_ARG_PTR))
    result &= 0xFFFFFFFFu; /* EDX/upper half hold nothing for these */
  else if (returns == IK_ARG_VOID)
    result = 0;
  wr64(payload, result);
  uint32_t used = 8;
  for (int k = 0; k < nbuf; k++) {
    if (kinds[k] != IK_ARG_IN) {
      wr32(payload + used, sizes[k]);
      memcpy(payload + used + 4, buffers[k], sizes[k]);
      used += 4 + sizes[k];
      while (used % 4) payload[used++] = 0;
    }
  }
  free_out(buffers, kinds, nbuf);
  reply(call_id, IK_STATUS_OK, payload, used);
  free(payload);
}

/* Reads and drops `length` bytes: a refused payload is consumed, so that the next header is
 * read where the peer put it. */
static int discard(uint32_t length) {
  static uint8_t sink[1 << 16];
  while (length) {
    uint32_t n = length < sizeof sink ? length : (uint32_t)sizeof sink;
    if (read_full(sink, n)) return -1;
    length -= n;
  }
  return 0;
}

#if defined(__linux__)
/* End with the client: the kernel sends SIGKILL when the thread that started us ends, even in
 * the middle of a call (prctl(2), PR_SET_PDEATHSIG). The client may have ended before the
 * request took effect, so the parent is checked after it: the client puts its process id in
 * INTEROPKIT_CLIENT_PID; without it, a parent of 1 (init) means the client is gone. */
static int orphaned(void) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return 0;
  const char *client = getenv("INTEROPKIT_CLIENT_PID");
  long parent = (long)getppid();
  return client && *client ? parent != atol(client) : parent == 1;
}
#endif

#if defined(_WIN32)
int wmain(int argc, wchar_t **argv) {
  static char path_utf8[1024];
  if (argc != 2) {
    fprintf(stderr, "usage: surrogate PATH_TO_DLL\n");
    return 2;
  }
  WideCharToMultiByte(CP_UTF8, 0, argv[1], -1, path_utf8, sizeof path_utf8 - 1, 0, 0);
  dll_path = dll_name = path_utf8;
  for (const char *c = dll_path; *c; c++)
    if (*c == '\\' || *c == '/') dll_name = c + 1;
  load_dll(argv[1]);
#else
int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH_TO_DLL\n", argv[0]);
    return 2;
  }
#if defined(__linux__)
  if (orphaned()) return 0;
#endif
  dll_path = dll_name = argv[1];
  for (const char *c = dll_path; *c; c++)
    if (*c == '/') dll_name = c + 1;
  load_dll(dll_path);
#endif
  uint8_t header[IK_WIRE_HEADER_SIZE];
  static uint8_t small[4096];
  static uint8_t *large;
  static uint32_t capacity;
  for (;;) {
    if (read_full(header, sizeof header)) return 0; /* the client closed the pipe */
    uint32_t call_id = rd32(header + IK_WIRE_OFFSET_CALL_ID);
    uint32_t length = rd32(header + IK_WIRE_OFFSET_LENGTH);
    uint8_t kind = header[IK_WIRE_OFFSET_KIND];
    if (length > IK_WIRE_MAX_PAYLOAD) { /* dropped, not parsed: the stream stays framed */
      if (discard(length)) return 0;
      reply_error(call_id, IK_STATUS_TOO_LARGE, "payload larger than 64 MiB (the wire's limit): "
                  "split the data into several calls");
      continue;
    }
    if (length > capacity) { /* grow-only: a large payload reuses warm pages next time */
      uint8_t *bigger = realloc(large, length);
      if (!bigger) return 5;
      large = bigger;
      capacity = length;
    }
    uint8_t *payload = length <= sizeof small ? small : large;
    if (read_full(payload, length)) return 0; /* consumed even for a bad header: stay framed */
    if (rd16(header + IK_WIRE_OFFSET_MAGIC) != IK_WIRE_MAGIC ||
        header[IK_WIRE_OFFSET_VERSION] != IK_WIRE_VERSION) {
      reply_error(call_id, IK_STATUS_BAD_FRAME, "bad frame header (magic or version)");
      continue;
    }
    if (kind == IK_KIND_BYE) {
      reply(call_id, IK_STATUS_OK, 0, 0);
      return 0;
    }
    if (load_error[0])
      reply_error(call_id, IK_STATUS_BAD_ARGUMENT, load_error);
    else if (kind == IK_KIND_HELLO)
      hello(call_id);
    else if (kind == IK_KIND_CALL)
      call(call_id, payload, length);
    else
      reply_error(call_id, IK_STATUS_BAD_FRAME, "unknown frame kind");
  }
}
