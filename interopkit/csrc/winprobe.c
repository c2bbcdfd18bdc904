/*
 * The kit's Windows probe: asks the real Win32 API (Windows, or Wine on Linux) the WOW64
 * questions of issue 18 and answers them as one JSON object on stdout, so one run per
 * bitness answers a whole lesson's questions. interopkit/wow64/real.py and
 * interopkit/loading/winload.py run it and read the answers.
 *
 * Built by interopkit/build.py for x86 (with and without large-address-aware) and x64, with
 * the C runtime (wmain: every argument is UTF-16, so any path survives). Each argument is one
 * command; each command adds one object to "results", in order:
 *
 *   info                      pointer size, IsWow64Process(2), GetNativeSystemInfo against
 *                             GetSystemInfo, GetSystemWow64Directory(2)W, the WOW64 environment
 *                             variables, the address-space ceiling (a 32-bit process reserves
 *                             address space in halving chunks until refused, bounded)
 *   open:PATH                 the file really opened (GetFinalPathNameByHandleW)
 *   threads:PATH              open PATH; turn the redirector off in this thread; open it here
 *                             and in a second thread; turn it back on; open it again
 *   regset:FLAGS:KEY          create KEY (its parent must exist) in the view FLAGS picks and
 *                             write the value "writer" = "<bits>-bit"
 *   regget:FLAGS:KEY          open KEY with KEY_READ | FLAGS and read "writer"
 *   regdel:FLAGS:KEY          RegDeleteKeyExW(KEY, FLAGS)
 *   load:PATH                 LoadLibraryW
 *   loadex:FLAGS:PATH         LoadLibraryExW with FLAGS
 *   search:DIRS:NAME          PATH = DIRS;PATH (DIRS may be empty), then LoadLibraryW(NAME):
 *                             which file was taken. Wine 8 ignores a PATH changed at run
 *                             time (it searches the PATH the process started with), so the
 *                             kit puts the candidates in the EXE's folder and the current
 *                             folder instead, two places every search order has
 *
 * FLAGS are hexadecimal. Every failure is reported with GetLastError's value (or the LSTATUS
 * the registry API returns), exactly as the system gave it. The exit status is 0 when every
 * command was understood, 2 otherwise.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define MAX_RESERVATIONS 4096 /* bounds the ceiling walk: milliseconds */

static int first_field;

/* --- JSON output (no library: a few helpers) ---------------------------------------------- */

static void put_escaped(const char *text) {
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
    if (*c == '"' || *c == '\\') {
      putchar('\\');
      putchar(*c);
    } else if (*c < 0x20) {
      printf("\\u%04x", *c);
    } else {
      putchar(*c);
    }
  }
  putchar('"');
}

static void key(const char *name) {
  if (!first_field) putchar(',');
  first_field = 0;
  put_escaped(name);
  putchar(':');
}

static void begin(void) { putchar('{'); first_field = 1; }
static void end(void) { putchar('}'); first_field = 0; }
static void field_str(const char *name, const char *value) {
  key(name);
  if (value) put_escaped(value); else fputs("null", stdout);
}
static void field_wstr(const char *name, const wchar_t *value) {
  char utf8[4 * MAX_PATH + 64];
  key(name);
  if (!value) { fputs("null", stdout); return; }
  if (!WideCharToMultiByte(CP_UTF8, 0, value, -1, utf8, sizeof utf8, NULL, NULL))
    strcpy(utf8, "?");
  put_escaped(utf8);
}
static void field_u64(const char *name, unsigned long long value) {
  key(name);
  printf("%llu", value);
}
static void field_bool(const char *name, int value) {
  key(name);
  fputs(value ? "true" : "false", stdout);
}
static void field_null(const char *name) { key(name); fputs("null", stdout); }

/* --- info: WOW64 seen from inside ---------------------------------------------------------- */

typedef BOOL(WINAPI *IsWow64Process2Fn)(HANDLE, USHORT *, USHORT *);
typedef UINT(WINAPI *GetSystemWow64Directory2WFn)(LPWSTR, UINT, WORD);
typedef UINT(WINAPI *GetSystemWow64DirectoryWFn)(LPWSTR, UINT);

static void system_info(const char *name, const SYSTEM_INFO *info) {
  key(name);
  begin();
  field_u64("processor_architecture", info->wProcessorArchitecture);
  field_u64("page_size", info->dwPageSize);
  field_u64("allocation_granularity", info->dwAllocationGranularity);
  field_u64("min_application_address", (unsigned long long)(ULONG_PTR)
            info->lpMinimumApplicationAddress);
  field_u64("max_application_address", (unsigned long long)(ULONG_PTR)
            info->lpMaximumApplicationAddress);
  field_u64("processors", info->dwNumberOfProcessors);
  end();
}

static void ceiling(void) {
  /* Reserve (never commit) address space in halving chunks until the system refuses: the
     highest address reached is the real ceiling. Only in a 32-bit process: a 64-bit one has
     128 TiB, whose page bookkeeping would exhaust Wine's memory. */
  static void *blocks[MAX_RESERVATIONS];
  unsigned long long reserved = 0, highest = 0;
  SIZE_T chunk = (SIZE_T)1 << 30;
  int count = 0, kept = 0;
  if (sizeof(void *) != 4) {
    field_null("reserved_bytes");
    field_null("highest_reserved");
    return;
  }
  while (chunk >= 0x10000 && count < MAX_RESERVATIONS) {
    void *block = VirtualAlloc(NULL, chunk, MEM_RESERVE, PAGE_NOACCESS);
    count++;
    if (!block) { chunk /= 2; continue; }
    blocks[kept++] = block;
    reserved += chunk;
    if ((ULONG_PTR)block + chunk - 1 > highest) highest = (ULONG_PTR)block + chunk - 1;
  }
  /* Give it all back: the later commands need address space (a thread's stack, DLLs). */
  while (kept > 0) VirtualFree(blocks[--kept], 0, MEM_RELEASE);
  field_u64("reserved_bytes", reserved);
  field_u64("highest_reserved", highest);
}

static void environment(void) {
  static const char *const names[] = {
      "PROCESSOR_ARCHITECTURE", "PROCESSOR_ARCHITEW6432", "ProgramFiles", "ProgramFiles(x86)",
      "ProgramW6432", "CommonProgramFiles", "CommonProgramFiles(x86)", "CommonProgramW6432",
      "windir", "SystemRoot"};
  key("environment");
  begin();
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char value[512];
    DWORD n = GetEnvironmentVariableA(names[i], value, sizeof value);
    if (n == 0 || n >= sizeof value) field_null(names[i]); else field_str(names[i], value);
  }
  end();
}

static void info(void) {
  HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
  IsWow64Process2Fn is_wow64_2 = (IsWow64Process2Fn)(void *)GetProcAddress(kernel32,
                                                                           "IsWow64Process2");
  /* Microsoft documents GetSystemWow64Directory2W in kernel32.dll; Wine 8 exports it from
     kernelbase.dll only, so both are asked and the one that answered is reported. */
  HMODULE kernelbase = GetModuleHandleW(L"kernelbase.dll");
  const char *dir2_from = "kernel32.dll";
  GetSystemWow64Directory2WFn dir2 = (GetSystemWow64Directory2WFn)(void *)GetProcAddress(
      kernel32, "GetSystemWow64Directory2W");
  if (!dir2 && kernelbase) {
    dir2 = (GetSystemWow64Directory2WFn)(void *)GetProcAddress(kernelbase,
                                                               "GetSystemWow64Directory2W");
    dir2_from = "kernelbase.dll";
  }
  GetSystemWow64DirectoryWFn dir1 =
      (GetSystemWow64DirectoryWFn)(void *)GetProcAddress(kernel32, "GetSystemWow64DirectoryW");
  SYSTEM_INFO native, own;
  BOOL wow64 = FALSE;
  wchar_t folder[MAX_PATH];

  field_u64("pointer_size", sizeof(void *));
  key("is_wow64_process");
  if (IsWow64Process(GetCurrentProcess(), &wow64)) fputs(wow64 ? "true" : "false", stdout);
  else fputs("null", stdout);
  field_bool("has_is_wow64_process2", is_wow64_2 != NULL);
  if (is_wow64_2) {
    USHORT process = 0, machine = 0;
    if (is_wow64_2(GetCurrentProcess(), &process, &machine)) {
      field_u64("process_machine", process);
      field_u64("native_machine", machine);
    } else {
      field_null("process_machine");
      field_u64("is_wow64_process2_error", GetLastError());
    }
  }
  GetNativeSystemInfo(&native);
  GetSystemInfo(&own);
  system_info("native_system_info", &native);
  system_info("system_info", &own);
  field_str("get_system_wow64_directory2_from", dir2 ? dir2_from : NULL);
  if (dir2) {
    UINT n = dir2(folder, MAX_PATH, IMAGE_FILE_MACHINE_I386);
    if (n && n < MAX_PATH) field_wstr("wow64_directory_i386", folder);
    else { field_null("wow64_directory_i386"); field_u64("wow64_directory_i386_error",
                                                         GetLastError()); }
  }
  if (dir1) {
    UINT n = dir1(folder, MAX_PATH);
    if (n && n < MAX_PATH) field_wstr("wow64_directory", folder);
    else { field_null("wow64_directory"); field_u64("wow64_directory_error", GetLastError()); }
  }
  if (GetSystemDirectoryW(folder, MAX_PATH)) field_wstr("system_directory", folder);
  environment();
  ceiling();
}

/* --- the file-system redirector ------------------------------------------------------------ */

static void open_report(const char *name, const wchar_t *path) {
  /* FILE_FLAG_BACKUP_SEMANTICS lets CreateFileW open folders too. */
  HANDLE file = CreateFileW(path, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE |
                            FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS,
                            NULL);
  key(name);
  begin();
  if (file == INVALID_HANDLE_VALUE) {
    field_bool("opened", 0);
    field_u64("error", GetLastError());
  } else {
    wchar_t final_path[MAX_PATH * 2];
    DWORD n = GetFinalPathNameByHandleW(file, final_path, MAX_PATH * 2, FILE_NAME_NORMALIZED);
    field_bool("opened", 1);
    if (n && n < MAX_PATH * 2) field_wstr("final", final_path);
    else { field_null("final"); field_u64("error", GetLastError()); }
    CloseHandle(file);
  }
  end();
}

typedef BOOL(WINAPI *DisableFn)(PVOID *);
typedef BOOL(WINAPI *RevertFn)(PVOID);

static DWORD WINAPI other_thread(LPVOID path) {
  open_report("other_thread_while_disabled", (const wchar_t *)path);
  return 0;
}

static void threads(const wchar_t *path) {
  HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
  DisableFn disable = (DisableFn)(void *)GetProcAddress(kernel32,
                                                        "Wow64DisableWow64FsRedirection");
  RevertFn revert = (RevertFn)(void *)GetProcAddress(kernel32, "Wow64RevertWow64FsRedirection");
  PVOID old = NULL;
  BOOL ok;
  HANDLE thread;
  open_report("before", path);
  if (!disable || !revert) { field_bool("has_disable", 0); return; }
  ok = disable(&old);
  field_bool("disabled", ok);
  if (!ok) field_u64("disable_error", GetLastError());
  open_report("this_thread_while_disabled", path);
  /* A new thread starts with redirection on: the switch is per thread. Its report is written
     while this thread waits, so the output stays one well-formed object. */
  thread = CreateThread(NULL, 0, other_thread, (LPVOID)path, 0, NULL);
  if (thread) { WaitForSingleObject(thread, 10000); CloseHandle(thread); }
  else field_u64("thread_error", GetLastError());
  if (ok) {
    BOOL back = revert(old);
    field_bool("reverted", back);
    if (!back) field_u64("revert_error", GetLastError());
  }
  open_report("after_revert", path);
}

/* --- the registry redirector --------------------------------------------------------------- */

static HKEY split_root(const wchar_t *text, const wchar_t **rest) {
  if (!_wcsnicmp(text, L"HKLM\\", 5)) { *rest = text + 5; return HKEY_LOCAL_MACHINE; }
  if (!_wcsnicmp(text, L"HKCU\\", 5)) { *rest = text + 5; return HKEY_CURRENT_USER; }
  return NULL;
}

static void reg_set(REGSAM flags, const wchar_t *text) {
  const wchar_t *sub;
  HKEY root = split_root(text, &sub), parent, leaf;
  wchar_t parent_path[1024];
  const wchar_t *slash = wcsrchr(sub ? sub : L"", L'\\');
  LSTATUS status;
  char writer[16];
  if (!root || !slash || (size_t)(slash - sub) >= 1024) { field_str("error", "bad key"); return; }
  wcsncpy(parent_path, sub, (size_t)(slash - sub));
  parent_path[slash - sub] = 0;
  /* Only under a parent that exists: the probe never creates a tree it would leave behind. */
  status = RegOpenKeyExW(root, parent_path, 0, KEY_CREATE_SUB_KEY | flags, &parent);
  if (status != ERROR_SUCCESS) {
    field_str("stage", "parent");
    field_u64("status", (unsigned long)status);
    return;
  }
  status = RegCreateKeyExW(parent, slash + 1, 0, NULL, 0, KEY_SET_VALUE | flags, NULL, &leaf,
                           NULL);
  RegCloseKey(parent);
  if (status != ERROR_SUCCESS) {
    field_str("stage", "create");
    field_u64("status", (unsigned long)status);
    return;
  }
  snprintf(writer, sizeof writer, "%u-bit", (unsigned)(8 * sizeof(void *)));
  status = RegSetValueExA(leaf, "writer", 0, REG_SZ, (const BYTE *)writer,
                          (DWORD)strlen(writer) + 1);
  RegCloseKey(leaf);
  field_str("stage", "written");
  field_u64("status", (unsigned long)status);
}

static void reg_get(REGSAM flags, const wchar_t *text) {
  const wchar_t *sub;
  HKEY root = split_root(text, &sub), handle;
  LSTATUS status;
  if (!root) { field_str("error", "bad key"); return; }
  status = RegOpenKeyExW(root, sub, 0, KEY_READ | flags, &handle);
  field_u64("status", (unsigned long)status);
  if (status == ERROR_SUCCESS) {
    char value[64];
    DWORD size = sizeof value - 1, type = 0;
    LSTATUS read = RegQueryValueExA(handle, "writer", NULL, &type, (BYTE *)value, &size);
    value[read == ERROR_SUCCESS ? size : 0] = 0;
    if (read == ERROR_SUCCESS && type == REG_SZ) field_str("writer", value);
    else field_null("writer");
    RegCloseKey(handle);
  }
}

static void reg_del(REGSAM flags, const wchar_t *text) {
  const wchar_t *sub;
  HKEY root = split_root(text, &sub);
  if (!root) { field_str("error", "bad key"); return; }
  field_u64("status", (unsigned long)RegDeleteKeyExW(root, sub, flags, 0));
}

/* --- the loader ---------------------------------------------------------------------------- */

static void module_report(HMODULE module) {
  field_bool("loaded", module != NULL);
  if (module) {
    wchar_t name[MAX_PATH * 2];
    DWORD n = GetModuleFileNameW(module, name, MAX_PATH * 2);
    if (n && n < MAX_PATH * 2) field_wstr("module", name); else field_null("module");
    field_u64("error", 0);
    FreeLibrary(module);
  }
}

static void load(DWORD flags, int ex, const wchar_t *path) {
  HMODULE module;
  SetLastError(0);
  module = ex ? LoadLibraryExW(path, NULL, flags) : LoadLibraryW(path);
  if (!module) { DWORD error = GetLastError(); field_bool("loaded", 0);
                 field_u64("error", error); return; }
  module_report(module);
}

static void search(const wchar_t *dirs, const wchar_t *name) {
  static wchar_t old[32768], path[32768 + 2048];
  DWORD n = GetEnvironmentVariableW(L"PATH", old, 32768);
  HMODULE module;
  if (n >= 32768) n = 0;
  old[n] = 0;
  _snwprintf(path, sizeof path / sizeof *path, L"%ls;%ls", dirs, old);
  path[sizeof path / sizeof *path - 1] = 0;
  if (*dirs) SetEnvironmentVariableW(L"PATH", path);
  SetLastError(0);
  module = LoadLibraryW(name);
  if (!module) { DWORD error = GetLastError(); field_bool("loaded", 0);
                 field_u64("error", error); }
  else module_report(module);
  if (*dirs) SetEnvironmentVariableW(L"PATH", n ? old : NULL);
}

/* --- commands ------------------------------------------------------------------------------ */

static const wchar_t *after(const wchar_t *arg, const wchar_t *prefix) {
  size_t n = wcslen(prefix);
  return wcsncmp(arg, prefix, n) ? NULL : arg + n;
}

/* "FLAGS:REST" -> flags, and *rest points after the colon; 0 when malformed. */
static int flags_and_rest(const wchar_t *text, unsigned long *flags, const wchar_t **rest) {
  wchar_t *end_ptr;
  *flags = wcstoul(text, &end_ptr, 16);
  if (end_ptr == text || *end_ptr != L':') return 0;
  *rest = end_ptr + 1;
  return 1;
}

static int command(const wchar_t *arg) {
  const wchar_t *rest, *tail;
  unsigned long flags;
  begin();
  field_wstr("command", arg);
  if (!wcscmp(arg, L"info")) info();
  else if ((rest = after(arg, L"open:"))) open_report("open", rest);
  else if ((rest = after(arg, L"threads:"))) threads(rest);
  else if ((rest = after(arg, L"regset:")) && flags_and_rest(rest, &flags, &tail))
    reg_set((REGSAM)flags, tail);
  else if ((rest = after(arg, L"regget:")) && flags_and_rest(rest, &flags, &tail))
    reg_get((REGSAM)flags, tail);
  else if ((rest = after(arg, L"regdel:")) && flags_and_rest(rest, &flags, &tail))
    reg_del((REGSAM)flags, tail);
  else if ((rest = after(arg, L"load:"))) load(0, 0, rest);
  else if ((rest = after(arg, L"loadex:")) && flags_and_rest(rest, &flags, &tail))
    load((DWORD)flags, 1, tail);
  else if ((rest = after(arg, L"search:")) && (tail = wcschr(rest, L':'))) {
    static wchar_t dirs[4096];
    size_t n = (size_t)(tail - rest);
    if (n >= 4096) n = 4095;
    wcsncpy(dirs, rest, n);
    dirs[n] = 0;
    search(dirs, tail + 1);
  } else { field_str("error", "unknown command"); end(); return 0; }
  end();
  return 1;
}

int wmain(int argc, wchar_t **argv) {
  int understood = 1;
  /* No "cannot find DLL" message boxes: the failures are the answers. */
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
  printf("{\"probe\":\"winprobe\",\"bits\":%u,\"results\":[", (unsigned)(8 * sizeof(void *)));
  for (int i = 1; i < argc; i++) {
    if (i > 1) putchar(',');
    understood &= command(argv[i]);
  }
  puts("]}");
  fflush(stdout);
  return understood ? 0 : 2;
}
