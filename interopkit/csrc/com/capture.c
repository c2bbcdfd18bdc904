/*
 * The capture tool: the real NDR bytes a widl-built proxy puts on the wire for ISample's Echo
 * methods (isample.idl), and what a real stub makes of bytes handed to it. No server process and
 * no COM activation: the proxy/stub DLL is loaded directly, its IPSFactoryBuffer (the proxy/stub
 * CLSID is the first interface's IID) makes a proxy and a stub, and this file supplies the RPC
 * channel between them. Built for x86 and x64 by interopkit/build.py; run by
 * interopkit.com.capture (under Wine on Linux, directly on Windows). One JSON object on stdout.
 *
 *   comcapture capture PSDLL METHOD VALUE   the proxy's request bytes for METHOD(VALUE)
 *   comcapture replay PSDLL METHOD HEX      those bytes handed to this bitness's stub
 *
 * METHOD is EchoDwordPtr, EchoIntPtr, EchoHandlePtr or EchoUlong64 (or the type name: DWORD_PTR,
 * INT_PTR, HANDLE_PTR, ULONG64); VALUE is decimal or 0x hex, up to 64 bits, cast to the method's
 * parameter type as C casts it; HEX is the request buffer, two hex digits a byte.
 *
 * capture: the channel's SendReceive records RPCOLEMESSAGE.Buffer ("request_hex", "request_len",
 * "imethod", "drep"), then hands a copy to a stub from the same DLL over this file's own ISample
 * object, so the call completes with a real reply: "server_called", "server_saw" (the value the
 * object received, widened to 64 bits as C widens its type), "invoke_hr", "call_hr" (what the
 * proxy returned) and "result" (the [out, retval] value the caller got).
 * replay: the bytes go straight to the stub: "invoke_hr", "server_called", "server_saw",
 * "reply_hex". Exit status 2 for a bad argument, 3 for a DLL that would not give a factory,
 * 4 for an exception nothing caught (reported as "exception").
 */
#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <wctype.h>
#include "isample.h"

#define MAX_BYTES 256
#define FIRST_ECHO 8 /* IUnknown (3) + Add, Checksum, Fill, PtrSize, ProcessId */

static const WCHAR *method_names[4] = {L"EchoDwordPtr", L"EchoIntPtr", L"EchoHandlePtr",
                                       L"EchoUlong64"};
static const WCHAR *type_names[4] = {L"DWORD_PTR", L"INT_PTR", L"HANDLE_PTR", L"ULONG64"};

/* -- what the server object received ---------------------------------------------------------- */

static int server_called;
static ULONG64 server_saw;

static HRESULT STDMETHODCALLTYPE o_query(ISample *self, REFIID riid, void **out) {
  if (!out) return E_POINTER;
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISample)) {
    *out = self;
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}

/* One static object for the whole run: its references are not counted. */
static ULONG STDMETHODCALLTYPE o_addref(ISample *self) { (void)self; return 2; }
static ULONG STDMETHODCALLTYPE o_release(ISample *self) { (void)self; return 1; }

static HRESULT STDMETHODCALLTYPE o_add(ISample *self, LONG a, LONG b, LONG *sum) {
  (void)self;
  *sum = a + b;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_checksum(ISample *self, ULONG len, const BYTE *buf,
                                            ULONG *hash) {
  (void)self; (void)len; (void)buf;
  *hash = 0;
  return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_fill(ISample *self, ULONG len, BYTE *out, BYTE seed) {
  (void)self; (void)len; (void)out; (void)seed;
  return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE o_ptr_size(ISample *self, ULONG *size) {
  (void)self;
  *size = sizeof(void *);
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_process_id(ISample *self, DWORD *pid) {
  (void)self;
  *pid = GetCurrentProcessId();
  return S_OK;
}

/* As server.c: each echo widens what arrived to 64 bits as C does for its type (DWORD_PTR and
 * HANDLE_PTR zero-extend, INT_PTR sign-extends), so the value this side holds is reported. */
static HRESULT STDMETHODCALLTYPE o_echo_dword_ptr(ISample *self, DWORD_PTR value, ULONG64 *seen) {
  (void)self;
  server_called = 1;
  server_saw = *seen = (ULONG64)value;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_echo_int_ptr(ISample *self, INT_PTR value, LONG64 *seen) {
  (void)self;
  server_called = 1;
  *seen = (LONG64)value;
  server_saw = (ULONG64)*seen;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_echo_handle_ptr(ISample *self, HANDLE_PTR value,
                                                   ULONG64 *seen) {
  (void)self;
  server_called = 1;
  server_saw = *seen = (ULONG64)value;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE o_echo_ulong64(ISample *self, ULONG64 value, ULONG64 *seen) {
  (void)self;
  server_called = 1;
  server_saw = *seen = value;
  return S_OK;
}

static ISampleVtbl object_vtbl = {
    o_query,    o_addref, o_release,  o_add,          o_checksum,       o_fill,
    o_ptr_size, o_process_id, o_echo_dword_ptr, o_echo_int_ptr, o_echo_handle_ptr,
    o_echo_ulong64,
};
static ISample server_object = {&object_vtbl};

/* -- the channel: records the request, and carries it to the stub ----------------------------- */

static BYTE request[MAX_BYTES];
static ULONG request_len;
static ULONG request_method, request_drep;
static int request_seen;
static HRESULT invoke_hr = E_PENDING; /* not invoked yet */
static BYTE reply[MAX_BYTES];
static ULONG reply_len;
static IRpcStubBuffer *stub; /* capture mode: where SendReceive delivers */

static HRESULT STDMETHODCALLTYPE c_query(IRpcChannelBuffer *self, REFIID riid, void **out) {
  if (!out) return E_POINTER;
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IRpcChannelBuffer)) {
    *out = self;
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE c_addref(IRpcChannelBuffer *self) { (void)self; return 2; }
static ULONG STDMETHODCALLTYPE c_release(IRpcChannelBuffer *self) { (void)self; return 1; }

/* HeapAlloc's blocks are aligned to 8 (x86) or 16 (x64): enough for NDR's 8-byte hyper. */
static HRESULT STDMETHODCALLTYPE c_get_buffer(IRpcChannelBuffer *self, RPCOLEMESSAGE *msg,
                                              REFIID riid) {
  (void)self; (void)riid;
  msg->Buffer = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, msg->cbBuffer ? msg->cbBuffer : 1);
  return msg->Buffer ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE c_free_buffer(IRpcChannelBuffer *self, RPCOLEMESSAGE *msg) {
  (void)self;
  if (msg->Buffer) HeapFree(GetProcessHeap(), 0, msg->Buffer);
  msg->Buffer = NULL;
  return S_OK;
}

static IRpcChannelBufferVtbl channel_vtbl;
static IRpcChannelBuffer channel = {&channel_vtbl};

static void keep_reply(const RPCOLEMESSAGE *msg) {
  reply_len = msg->cbBuffer < MAX_BYTES ? msg->cbBuffer : MAX_BYTES;
  if (msg->Buffer) memcpy(reply, msg->Buffer, reply_len);
}

/* The stub is given its own copy, as a real channel would hand it a received packet. */
static HRESULT invoke(const BYTE *bytes, ULONG len, ULONG method, ULONG drep, RPCOLEMESSAGE *in) {
  memset(in, 0, sizeof *in);
  in->Buffer = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, len ? len : 1);
  if (!in->Buffer) return E_OUTOFMEMORY;
  memcpy(in->Buffer, bytes, len);
  in->cbBuffer = len;
  in->iMethod = method;
  in->dataRepresentation = drep;
  invoke_hr = IRpcStubBuffer_Invoke(stub, in, &channel);
  if (SUCCEEDED(invoke_hr))
    keep_reply(in);
  else
    reply_len = 0; /* the stub made no reply: in->Buffer still holds the request */
  return invoke_hr;
}

static HRESULT STDMETHODCALLTYPE c_send_receive(IRpcChannelBuffer *self, RPCOLEMESSAGE *msg,
                                                ULONG *status) {
  (void)self;
  request_len = msg->cbBuffer < MAX_BYTES ? msg->cbBuffer : MAX_BYTES;
  memcpy(request, msg->Buffer, request_len);
  request_method = msg->iMethod;
  request_drep = msg->dataRepresentation;
  request_seen = 1;
  HeapFree(GetProcessHeap(), 0, msg->Buffer);
  msg->Buffer = NULL;
  RPCOLEMESSAGE in;
  /* The proxy marks iMethod with RPC_FLAGS_VALID_BIT (0x8000); the procedure number that
   * travels, and that the stub indexes its table with, is the method's index alone. */
  HRESULT hr = invoke(request, request_len, request_method & ~0x8000UL, request_drep, &in);
  if (FAILED(hr)) {
    c_free_buffer(self, &in);
    if (status) *status = (ULONG)hr;
    return hr;
  }
  msg->Buffer = in.Buffer; /* the stub's reply, freed by the proxy through FreeBuffer */
  msg->cbBuffer = in.cbBuffer;
  if (status) *status = 0;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_dest_ctx(IRpcChannelBuffer *self, DWORD *context,
                                                void **data) {
  (void)self;
  if (context) *context = MSHCTX_LOCAL; /* another process on this machine */
  if (data) *data = NULL;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_is_connected(IRpcChannelBuffer *self) {
  (void)self;
  return S_OK;
}

static IRpcChannelBufferVtbl channel_vtbl = {
    c_query, c_addref, c_release, c_get_buffer, c_send_receive, c_free_buffer,
    c_get_dest_ctx, c_is_connected,
};

/* The proxy's controlling unknown (aggregation): it only has to exist. */
static HRESULT STDMETHODCALLTYPE u_query(IUnknown *self, REFIID riid, void **out) {
  if (!out) return E_POINTER;
  if (IsEqualIID(riid, &IID_IUnknown)) {
    *out = self;
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE u_addref(IUnknown *self) { (void)self; return 2; }
static ULONG STDMETHODCALLTYPE u_release(IUnknown *self) { (void)self; return 1; }
static IUnknownVtbl outer_vtbl = {u_query, u_addref, u_release};
static IUnknown outer = {&outer_vtbl};

/* -- output ----------------------------------------------------------------------------------- */

static void print_hex(const char *name, const BYTE *bytes, ULONG len) {
  printf(", \"%s\": \"", name);
  for (ULONG i = 0; i < len; i++) printf("%02x", bytes[i]);
  printf("\"");
}

static void print_server(void) {
  printf(", \"invoke_hr\": %lu, \"server_called\": %s", (unsigned long)invoke_hr,
         server_called ? "true" : "false");
  if (server_called)
    printf(", \"server_saw\": \"0x%llx\"", (unsigned long long)server_saw);
  else
    printf(", \"server_saw\": null");
  print_hex("reply_hex", reply, reply_len);
}

static LONG WINAPI on_crash(EXCEPTION_POINTERS *info) {
  printf(", \"exception\": %lu}\n", (unsigned long)info->ExceptionRecord->ExceptionCode);
  fflush(stdout);
  ExitProcess(4);
  return EXCEPTION_EXECUTE_HANDLER;
}

static int usage(const char *why) {
  fprintf(stderr, "comcapture: %s\nusage: comcapture capture|replay PSDLL METHOD VALUE|HEX\n",
          why);
  return 2;
}

static int method_index(const WCHAR *name) {
  for (int i = 0; i < 4; i++)
    if (!wcscmp(name, method_names[i]) || !wcscmp(name, type_names[i])) return i;
  return -1;
}

static int parse_value(const WCHAR *text, ULONG64 *value) {
  WCHAR *end = NULL;
  if (!*text || *text == L'-' || *text == L'+' || iswspace(*text)) return 0;
  errno = 0;
  *value = _wcstoui64(text, &end, 0);
  return errno == 0 && end && *end == 0;
}

static int hex_digit(WCHAR c) {
  if (c >= L'0' && c <= L'9') return c - L'0';
  if (c >= L'a' && c <= L'f') return c - L'a' + 10;
  if (c >= L'A' && c <= L'F') return c - L'A' + 10;
  return -1;
}

static int parse_hex(const WCHAR *text, BYTE *out, ULONG *len) {
  size_t n = wcslen(text);
  if (n % 2 || n / 2 > MAX_BYTES) return 0;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out[i / 2] = (BYTE)(hi << 4 | lo);
  }
  *len = (ULONG)(n / 2);
  return 1;
}

static HRESULT call_echo(ISample *proxy, int index, ULONG64 value, ULONG64 *result) {
  LONG64 signed_result = 0;
  HRESULT hr;
  switch (index) {
  case 0: return ISample_EchoDwordPtr(proxy, (DWORD_PTR)value, result);
  case 1:
    hr = ISample_EchoIntPtr(proxy, (INT_PTR)value, &signed_result);
    *result = (ULONG64)signed_result;
    return hr;
  case 2: return ISample_EchoHandlePtr(proxy, (HANDLE_PTR)value, result);
  default: return ISample_EchoUlong64(proxy, value, result);
  }
}

int wmain(int argc, WCHAR **argv) {
  if (argc != 5) return usage("expected 4 arguments");
  int capture = !wcscmp(argv[1], L"capture");
  if (!capture && wcscmp(argv[1], L"replay")) return usage("the mode is capture or replay");
  int index = method_index(argv[3]);
  if (index < 0) return usage("unknown METHOD");
  ULONG64 value = 0;
  BYTE bytes[MAX_BYTES];
  ULONG len = 0;
  if (capture && !parse_value(argv[4], &value)) return usage("VALUE is not a 64-bit number");
  if (!capture && !parse_hex(argv[4], bytes, &len)) return usage("HEX is not hex bytes");

  HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
  printf("{\"bits\": %d, \"mode\": \"%s\", \"method\": \"%ls\", \"method_index\": %d",
         (int)(sizeof(void *) * 8), capture ? "capture" : "replay", method_names[index],
         FIRST_ECHO + index);
  if (FAILED(hr)) {
    printf(", \"stage\": \"CoInitializeEx\", \"hr\": %lu}\n", (unsigned long)hr);
    return 3;
  }
  HMODULE dll = LoadLibraryW(argv[2]);
  if (!dll) {
    printf(", \"stage\": \"LoadLibrary\", \"error\": %lu}\n", (unsigned long)GetLastError());
    return 3;
  }
  typedef HRESULT(WINAPI * get_class_object)(REFCLSID, REFIID, void **);
  get_class_object get = (get_class_object)(void *)GetProcAddress(dll, "DllGetClassObject");
  if (!get) {
    printf(", \"stage\": \"GetProcAddress\", \"error\": %lu}\n", (unsigned long)GetLastError());
    return 3;
  }
  IPSFactoryBuffer *factory = NULL;
  hr = get(&IID_ISample, &IID_IPSFactoryBuffer, (void **)&factory);
  if (FAILED(hr) || !factory) {
    printf(", \"stage\": \"DllGetClassObject\", \"hr\": %lu}\n", (unsigned long)hr);
    return 3;
  }
  hr = IPSFactoryBuffer_CreateStub(factory, &IID_ISample, (IUnknown *)&server_object, &stub);
  if (FAILED(hr) || !stub) {
    printf(", \"stage\": \"CreateStub\", \"hr\": %lu}\n", (unsigned long)hr);
    return 3;
  }
  SetUnhandledExceptionFilter(on_crash);

  if (!capture) {
    RPCOLEMESSAGE in;
    print_hex("request_hex", bytes, len);
    printf(", \"request_len\": %lu", (unsigned long)len);
    invoke(bytes, len, (ULONG)(FIRST_ECHO + index), NDR_LOCAL_DATA_REPRESENTATION, &in);
    print_server();
    printf("}\n");
    return 0;
  }

  IRpcProxyBuffer *proxy_buffer = NULL;
  ISample *proxy = NULL;
  hr = IPSFactoryBuffer_CreateProxy(factory, &outer, &IID_ISample, &proxy_buffer,
                                    (void **)&proxy);
  if (FAILED(hr) || !proxy) {
    printf(", \"stage\": \"CreateProxy\", \"hr\": %lu}\n", (unsigned long)hr);
    return 3;
  }
  hr = IRpcProxyBuffer_Connect(proxy_buffer, &channel);
  if (FAILED(hr)) {
    printf(", \"stage\": \"Connect\", \"hr\": %lu}\n", (unsigned long)hr);
    return 3;
  }
  printf(", \"sent\": \"0x%llx\"", (unsigned long long)value);
  ULONG64 result = 0;
  hr = call_echo(proxy, index, value, &result);
  print_hex("request_hex", request, request_seen ? request_len : 0);
  printf(", \"request_len\": %lu, \"imethod\": %lu, \"drep\": %lu", (unsigned long)request_len,
         (unsigned long)request_method, (unsigned long)request_drep);
  print_server();
  printf(", \"call_hr\": %lu, \"result\": \"0x%llx\"}\n", (unsigned long)hr,
         (unsigned long long)result);
  return 0;
}
