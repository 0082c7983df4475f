/*
 * The Tk host's native half (loop "tk", src/event_loop/tk_host.ts): Tcl's event loop, the one
 * Tk's windows run on, owns the thread and runs Node's libuv loop as its guest; and a Tcl
 * interpreter with Tk for cells (src/tk/tk.ts).
 *
 * Entering the loop from inside libuv and calling JavaScript from it: ../common/node_guest.h.
 *
 * How libuv is polled. A Tcl event source: before Tcl waits, its setup proc caps the wait at
 * uv_backend_timeout (0 when libuv has pending or idle work); after, its check proc queues an
 * event that runs uv_run(UV_RUN_NOWAIT) when libuv's time has come. A file handler on libuv's
 * backend fd (epoll: readable when any of libuv's fds is) runs it when I/O arrives.
 *
 * How wakeups cross. runSyncSoon* queue in JavaScript and call `wake`, which puts one event on
 * Tcl's event queue (Tk's own queue, where its events wait: not `after idle`, which would wait
 * behind every pending event); it runs one guest callback per event, requeued while more wait.
 *
 * JavaScript can make Tcl run events itself (`update`, `vwait`, `tkwait`): while a Tcl
 * evaluation that JavaScript started runs, libuv is not run and guest callbacks wait (their
 * events stay queued, the fd handler is off), so JavaScript is never re-entered under its own
 * frames: run-to-completion holds. Tk's own events (drawing, a button's -command) do run.
 *
 * Tcl's `exit` is removed from the interpreter (it would end the kernel's process).
 */
#include "../common/node_guest.h"

#include <stdio.h>

#include <tcl.h>
#include <tk.h>

static struct {
  Tcl_Interp *interp;
  bool tk_ready;
  bool source_made;
  bool uv_event_queued;
  bool fd_handled;
  int js_evaluations; /* Tcl evaluations JavaScript started that are running */
} host;

/* ---- libuv as a Tcl event source ----------------------------------------------------------- */

static bool uv_ready(void) {
  uv_update_time(guest.uv);
  /* uv_backend_timeout is 0 for a loop with nothing to do: that is not work. */
  return uv_loop_alive(guest.uv) && uv_backend_timeout(guest.uv) == 0;
}

static void pump_uv(void) { uv_run(guest.uv, UV_RUN_NOWAIT); }

static int uv_event_proc(Tcl_Event *event, int flags) {
  (void)event;
  (void)flags;
  if (host.js_evaluations > 0) return 0; /* stays queued */
  host.uv_event_queued = false;
  pump_uv();
  return 1;
}

static void queue_uv_event(void) {
  if (host.uv_event_queued) return;
  host.uv_event_queued = true;
  Tcl_Event *event = (Tcl_Event *)ckalloc(sizeof(Tcl_Event));
  event->proc = uv_event_proc;
  Tcl_QueueEvent(event, TCL_QUEUE_TAIL);
}

static void uv_setup(ClientData data, int flags) {
  (void)data;
  if (guest.state != GUEST_RUNNING || host.js_evaluations > 0 || !(flags & TCL_ALL_EVENTS)) return;
  uv_update_time(guest.uv);
  if (!uv_loop_alive(guest.uv)) return;
  int timeout = uv_backend_timeout(guest.uv);
  if (timeout < 0) return;
  Tcl_Time block = {timeout / 1000, (timeout % 1000) * 1000};
  Tcl_SetMaxBlockTime(&block);
}

static void uv_check(ClientData data, int flags) {
  (void)data;
  (void)flags;
  if (guest.state == GUEST_RUNNING && host.js_evaluations == 0 && uv_ready()) queue_uv_event();
}

static void uv_readable(ClientData data, int mask) {
  (void)data;
  (void)mask;
  pump_uv();
}

/* ---- the host loop ------------------------------------------------------------------------- */

static void ensure_tcl(void) {
  static bool done = false;
  /* Tcl's subsystems (its notifier among them) start here, before any interpreter. */
  if (!done) Tcl_FindExecutable(NULL);
  done = true;
}

static void toolkit_run_loop(void) {
  ensure_tcl();
  if (!host.source_made) {
    Tcl_CreateEventSource(uv_setup, uv_check, NULL);
    host.source_made = true;
  }
  int fd = uv_backend_fd(guest.uv);
  Tcl_CreateFileHandler(fd, TCL_READABLE, uv_readable, NULL);
  host.fd_handled = true;
  while (!guest.quit_requested) Tcl_DoOneEvent(TCL_ALL_EVENTS);
  Tcl_DeleteFileHandler(fd);
  host.fd_handled = false;
}

/* Around a Tcl evaluation JavaScript starts: see the top of this file. */
static void js_evaluation_begins(void) {
  if (host.js_evaluations++ == 0 && host.fd_handled) Tcl_DeleteFileHandler(uv_backend_fd(guest.uv));
}

static void js_evaluation_ends(void) {
  if (--host.js_evaluations == 0 && host.fd_handled) Tcl_CreateFileHandler(uv_backend_fd(guest.uv), TCL_READABLE, uv_readable, NULL);
}

static void toolkit_quit(void) {
  /* Called from a callback inside Tcl_DoOneEvent: the loop sees the flag when it returns. */
}

static int invoke_event_proc(Tcl_Event *event, int flags) {
  (void)event;
  (void)flags;
  if (host.js_evaluations > 0) return 0; /* stays queued */
  if (guest_invoke()) toolkit_wake();
  return 1;
}

static void toolkit_wake(void) {
  Tcl_Event *event = (Tcl_Event *)ckalloc(sizeof(Tcl_Event));
  event->proc = invoke_event_proc;
  Tcl_QueueEvent(event, TCL_QUEUE_TAIL);
}

static int is_invoke_event(Tcl_Event *event, ClientData data) {
  (void)data;
  return event->proc == invoke_event_proc;
}

static void toolkit_unwake(void) { Tcl_DeleteEvents(is_invoke_event, NULL); }

/* ---- Tcl and Tk for cells ------------------------------------------------------------------ */

static napi_value tcl_result(napi_env env) {
  napi_value result;
  CHECK(env, napi_create_string_utf8(env, Tcl_GetStringResult(host.interp), NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value tcl_error(napi_env env) {
  const char *info = Tcl_GetVar(host.interp, "errorInfo", TCL_GLOBAL_ONLY);
  napi_value message, error, code;
  if (napi_create_string_utf8(env, Tcl_GetStringResult(host.interp), NAPI_AUTO_LENGTH, &message) == napi_ok &&
      napi_create_string_utf8(env, "ERR_TCL", NAPI_AUTO_LENGTH, &code) == napi_ok && napi_create_error(env, code, message, &error) == napi_ok) {
    napi_value detail;
    if (info != NULL && napi_create_string_utf8(env, info, NAPI_AUTO_LENGTH, &detail) == napi_ok) napi_set_named_property(env, error, "tclErrorInfo", detail);
    napi_throw(env, error);
  }
  return NULL;
}

static bool ensure_interp(napi_env env) {
  if (host.interp != NULL) return true;
  ensure_tcl();
  host.interp = Tcl_CreateInterp();
  if (Tcl_Init(host.interp) != TCL_OK) {
    tcl_error(env);
    Tcl_DeleteInterp(host.interp);
    host.interp = NULL;
    return false;
  }
  Tcl_Eval(host.interp, "rename exit {}");
  return true;
}

/* init() opens Tk (a display is needed); returns Tk's version. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  (void)info;
  if (!ensure_interp(env)) return NULL;
  if (!host.tk_ready) {
    if (Tk_Init(host.interp) != TCL_OK) {
      const char *display = getenv("DISPLAY");
      char message[512];
      snprintf(message, sizeof message, "Tk could not open a display (DISPLAY=%s): %s; windows need a desktop session or an X server such as Xvfb (xvfb-run)",
               display ? display : "unset", Tcl_GetStringResult(host.interp));
      napi_throw_error(env, "ERR_TK_NO_DISPLAY", message);
      return NULL;
    }
    host.tk_ready = true;
  }
  napi_value version;
  const char *patch = Tcl_GetVar(host.interp, "tk_patchLevel", TCL_GLOBAL_ONLY);
  CHECK(env, napi_create_string_utf8(env, patch ? patch : "?", NAPI_AUTO_LENGTH, &version));
  return version;
}

/* call(words: string[]) -> string: one Tcl command, each word as it is (no quoting needed). */
static napi_value js_call(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv) || !ensure_interp(env)) return NULL;
  bool is_array = false;
  uint32_t count = 0;
  CHECK(env, napi_is_array(env, argv[0], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, NULL, "call takes an array of words");
    return NULL;
  }
  CHECK(env, napi_get_array_length(env, argv[0], &count));
  if (count == 0) return throw_error(env, "call needs a command");
  Tcl_Obj **words = (Tcl_Obj **)ckalloc(sizeof(Tcl_Obj *) * count);
  uint32_t made = 0;
  bool ok = true;
  for (; made < count && ok; made++) {
    napi_value element, text;
    char *word = NULL;
    ok = napi_get_element(env, argv[0], made, &element) == napi_ok && napi_coerce_to_string(env, element, &text) == napi_ok &&
         (word = string_arg(env, text)) != NULL;
    words[made] = Tcl_NewStringObj(ok ? word : "", -1);
    Tcl_IncrRefCount(words[made]);
    free(word);
  }
  int code = TCL_ERROR;
  if (ok) {
    js_evaluation_begins();
    code = Tcl_EvalObjv(host.interp, (int)count, words, TCL_EVAL_GLOBAL);
    js_evaluation_ends();
  }
  for (uint32_t i = 0; i < made; i++) Tcl_DecrRefCount(words[i]);
  ckfree((char *)words);
  if (!ok) return NULL;
  return code == TCL_OK ? tcl_result(env) : tcl_error(env);
}

/* eval(script) -> string */
static napi_value js_eval(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv) || !ensure_interp(env)) return NULL;
  char *script = string_arg(env, argv[0]);
  if (script == NULL) return NULL;
  js_evaluation_begins();
  int code = Tcl_EvalEx(host.interp, script, -1, TCL_EVAL_GLOBAL);
  js_evaluation_ends();
  free(script);
  return code == TCL_OK ? tcl_result(env) : tcl_error(env);
}

typedef struct {
  int objc;
  Tcl_Obj *const *objv;
  char *result;
} CommandCall;

static size_t command_args(napi_env env, napi_value *argv, size_t max, void *data) {
  CommandCall *call = data;
  size_t n = 0;
  for (int i = 1; i < call->objc && n < max; i++) {
    if (napi_create_string_utf8(env, Tcl_GetString(call->objv[i]), NAPI_AUTO_LENGTH, &argv[n]) == napi_ok) n++;
  }
  return n;
}

static void command_result(napi_env env, napi_value result, void *data) {
  CommandCall *call = data;
  napi_valuetype type;
  napi_value text;
  if (napi_typeof(env, result, &type) != napi_ok || type == napi_undefined || type == napi_null) return;
  if (napi_coerce_to_string(env, result, &text) == napi_ok) call->result = string_arg(env, text);
}

/* A Tcl command that calls a JavaScript function with its words; what the function returns is
 * the command's result. What it throws is reported as JavaScript's (to the cell that made the
 * command) and the command returns normally: a Tcl error would open Tk's bgerror dialog. */
static int command_proc(ClientData data, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[]) {
  CommandCall call = {objc, objv, NULL};
  guest_call((napi_ref)data, command_args, command_result, &call);
  Tcl_SetObjResult(interp, Tcl_NewStringObj(call.result ? call.result : "", -1));
  free(call.result);
  return TCL_OK;
}

static void command_deleted(ClientData data) {
  if (!guest.env_gone) napi_delete_reference(guest.env, (napi_ref)data);
}

/* command(name, fn): a Tcl command `name` that calls fn. */
static napi_value js_command(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  napi_valuetype type;
  napi_ref ref;
  if (!args(env, info, 2, argv) || !ensure_interp(env)) return NULL;
  CHECK(env, napi_typeof(env, argv[1], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "A Tcl command's handler must be a function");
    return NULL;
  }
  char *name = string_arg(env, argv[0]);
  if (name == NULL) return NULL;
  if (napi_create_reference(env, argv[1], 1, &ref) != napi_ok) {
    free(name);
    return throw_error(env, "Could not keep the command's handler");
  }
  Tcl_CreateObjCommand(host.interp, name, command_proc, (ClientData)ref, command_deleted);
  free(name);
  return NULL;
}

/* ---- module -------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"eval", NULL, js_eval, NULL, NULL, NULL, napi_default, NULL},
      {"call", NULL, js_call, NULL, NULL, NULL, napi_default, NULL},
      {"command", NULL, js_command, NULL, NULL, NULL, napi_default, NULL},
  };
  ensure_tcl(); /* wake() queues Tcl events before the loop runs */
  return guest_init(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
