/*
 * The sample library as an in-process COM server: class Sample, interface ISample (isample.idl).
 *
 * The library itself (../sample.c) knows nothing of COM; it is compiled in here unchanged and
 * this file wraps it. Registered with an AppID whose DllSurrogate value exists, the DLL can be
 * hosted by COM's surrogate (dllhost.exe) and called from a process of the other bitness, every
 * call marshaled by the proxy/stub DLL built from the same IDL. Built for x86 and x64 by
 * interopkit/build.py. Exports DllGetClassObject and DllCanUnloadNow, nothing else.
 */
#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include "isample.h"

#define IK_API static
#define IK_NO_ENTRY
#include "sample.c"

static LONG live_objects; /* objects and locks: DllCanUnloadNow answers from this */

typedef struct {
  ISample iface;
  LONG refs;
} SampleObject;

static HRESULT STDMETHODCALLTYPE s_query(ISample *self, REFIID riid, void **out) {
  if (!out) return E_POINTER;
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISample)) {
    *out = self;
    ISample_AddRef(self);
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE s_addref(ISample *self) {
  return (ULONG)InterlockedIncrement(&((SampleObject *)self)->refs);
}

static ULONG STDMETHODCALLTYPE s_release(ISample *self) {
  LONG left = InterlockedDecrement(&((SampleObject *)self)->refs);
  if (left == 0) {
    HeapFree(GetProcessHeap(), 0, self);
    InterlockedDecrement(&live_objects);
  }
  return (ULONG)left;
}

static HRESULT STDMETHODCALLTYPE s_add(ISample *self, LONG a, LONG b, LONG *sum) {
  (void)self;
  *sum = add(a, b);
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_checksum(ISample *self, ULONG len, const BYTE *buf,
                                            ULONG *hash) {
  (void)self;
  *hash = checksum(buf, len);
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_fill(ISample *self, ULONG len, BYTE *out, BYTE seed) {
  (void)self;
  fill(out, len, seed);
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_ptr_size(ISample *self, ULONG *size) {
  (void)self;
  *size = ptr_size();
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_process_id(ISample *self, DWORD *pid) {
  (void)self;
  *pid = GetCurrentProcessId();
  return S_OK;
}

/* Each echo widens what arrived to 64 bits as C does for its type: DWORD_PTR and HANDLE_PTR
 * zero-extend, INT_PTR sign-extends, so the caller sees exactly the value this side holds. */
static HRESULT STDMETHODCALLTYPE s_echo_dword_ptr(ISample *self, DWORD_PTR value, ULONG64 *seen) {
  (void)self;
  *seen = (ULONG64)value;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_echo_int_ptr(ISample *self, INT_PTR value, LONG64 *seen) {
  (void)self;
  *seen = (LONG64)echo_ptr(value);
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_echo_handle_ptr(ISample *self, HANDLE_PTR value,
                                                   ULONG64 *seen) {
  (void)self;
  *seen = (ULONG64)value;
  return S_OK;
}

static HRESULT STDMETHODCALLTYPE s_echo_ulong64(ISample *self, ULONG64 value, ULONG64 *seen) {
  (void)self;
  *seen = echo_u64(value);
  return S_OK;
}

static ISampleVtbl sample_vtbl = {
    s_query,      s_addref,         s_release,       s_add,
    s_checksum,   s_fill,           s_ptr_size,      s_process_id,
    s_echo_dword_ptr, s_echo_int_ptr, s_echo_handle_ptr, s_echo_ulong64,
};

/* The class factory is static: one per DLL, never freed. */
static HRESULT STDMETHODCALLTYPE f_query(IClassFactory *self, REFIID riid, void **out) {
  if (!out) return E_POINTER;
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
    *out = self;
    return S_OK;
  }
  *out = NULL;
  return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE f_addref(IClassFactory *self) {
  (void)self;
  return 2;
}

static ULONG STDMETHODCALLTYPE f_release(IClassFactory *self) {
  (void)self;
  return 1;
}

static HRESULT STDMETHODCALLTYPE f_create(IClassFactory *self, IUnknown *outer, REFIID riid,
                                          void **out) {
  (void)self;
  if (!out) return E_POINTER;
  *out = NULL;
  if (outer) return CLASS_E_NOAGGREGATION;
  SampleObject *obj = HeapAlloc(GetProcessHeap(), 0, sizeof *obj);
  if (!obj) return E_OUTOFMEMORY;
  obj->iface.lpVtbl = &sample_vtbl;
  obj->refs = 1;
  InterlockedIncrement(&live_objects);
  HRESULT hr = ISample_QueryInterface(&obj->iface, riid, out);
  ISample_Release(&obj->iface);
  return hr;
}

static HRESULT STDMETHODCALLTYPE f_lock(IClassFactory *self, BOOL lock) {
  (void)self;
  if (lock)
    InterlockedIncrement(&live_objects);
  else
    InterlockedDecrement(&live_objects);
  return S_OK;
}

static IClassFactoryVtbl factory_vtbl = {f_query, f_addref, f_release, f_create, f_lock};
static IClassFactory factory = {&factory_vtbl};

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **out) {
  if (!out) return E_POINTER;
  *out = NULL;
  if (!IsEqualCLSID(clsid, &CLSID_Sample)) return CLASS_E_CLASSNOTAVAILABLE;
  return IClassFactory_QueryInterface(&factory, riid, out);
}

HRESULT WINAPI DllCanUnloadNow(void) { return live_objects == 0 ? S_OK : S_FALSE; }
