/*
 * What every toolkit host's addon shares (native/gtk, native/tk): entering the toolkit's loop
 * from inside libuv, calling JavaScript from it, and the guest callbacks' queue handshake.
 * Included once by each addon's single .c file, which defines the toolkit_* functions below.
 *
 * Who owns the thread. Node's main thread is inside uv_run(UV_RUN_DEFAULT) for its whole life, so
 * the only way for another loop to own the thread is to be called from inside it. `enter` arms a
 * uv_poll handle on a pipe that is always writable; its callback, a plain C call from libuv's
 * I/O phase with no JavaScript frame below it, runs the toolkit's loop and returns only when the
 * host quits. Entering from C, not from a JavaScript call, matters: Node drains the microtask and
 * nextTick queues when it leaves the outermost callback scope, so a loop run inside a JavaScript
 * call would leave every promise job waiting until it returned (node-gtk's Gtk.main has this
 * problem). From here every callback into JavaScript is an outermost one, as in plain Node.
 *
 * The toolkit polls libuv: it watches uv_backend_fd (epoll: readable when any of libuv's fds is),
 * sleeps at most uv_backend_timeout, and runs uv_run(UV_RUN_NOWAIT) when libuv has work. The I/O
 * phase of the outer uv_run is where we are nested; libuv's epoll is level-triggered, so what the
 * outer poll had seen the nested ones see again, and the other phases (timers, check, idle) are
 * not in progress in the outer run, so the nested runs see all of their handles.
 */
#ifndef TS_ASYNC_NODE_GUEST_H
#define TS_ASYNC_NODE_GUEST_H

#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

/* Defined by the toolkit's addon. */
static void toolkit_run_loop(void);  /* run the toolkit's loop until toolkit_quit (or at once if quit came first) */
static void toolkit_quit(void);      /* make toolkit_run_loop return after the current callback */
static void toolkit_wake(void);      /* have the toolkit call guest_invoke() soon */
static void toolkit_unwake(void);    /* drop a pending wake (the loop has ended) */

enum GuestState { GUEST_IDLE, GUEST_ARMED, GUEST_RUNNING };

static struct {
  napi_env env;
  uv_loop_t *uv;
  enum GuestState state;
  bool quit_requested;
  bool env_gone;
  uv_poll_t *entry;
  int entry_fds[2];
  bool wake_pending;
  bool rewake;
  napi_ref on_invoke;
  napi_ref on_exit;
  napi_async_context async_context;
} guest = {.entry_fds = {-1, -1}};

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

#define CHECK(env, call)                                                                       \
  do {                                                                                         \
    if ((call) != napi_ok) {                                                                   \
      const napi_extended_error_info *info = NULL;                                             \
      napi_get_last_error_info((env), &info);                                                  \
      bool pending = false;                                                                    \
      napi_is_exception_pending((env), &pending);                                              \
      if (!pending) napi_throw_error((env), NULL, info && info->error_message ? info->error_message : #call); \
      return NULL;                                                                             \
    }                                                                                          \
  } while (0)

/* Builds a call's arguments inside its handle scope; returns how many. */
typedef size_t (*ArgsFn)(napi_env env, napi_value *argv, size_t max, void *data);
/* Reads a call's result inside its handle scope. */
typedef void (*ResultFn)(napi_env env, napi_value result, void *data);

/*
 * Call `ref` as an outermost callback (a callback scope of its own, so Node runs the microtasks
 * and nextTicks it queued when it returns). What it throws becomes an uncaughtException, as a
 * throw in a timer callback does, and the call returns false.
 */
static bool guest_call(napi_ref ref, ArgsFn args, ResultFn take, void *data) {
  napi_env env = guest.env;
  bool ok = false;
  if (guest.env_gone || ref == NULL) return false;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value fn, recv, result = NULL, argv[16];
  size_t argc = args != NULL ? args(env, argv, 16, data) : 0;
  if (napi_get_reference_value(env, ref, &fn) == napi_ok && fn != NULL && napi_get_global(env, &recv) == napi_ok) {
    napi_status status = napi_make_callback(env, guest.async_context, recv, fn, argc, argv, &result);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    } else if (status == napi_ok) {
      ok = true;
      if (take != NULL && result != NULL) take(env, result, data);
    }
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

static void take_truthy(napi_env env, napi_value result, void *data) {
  napi_value as_bool;
  bool value = false;
  if (napi_coerce_to_bool(env, result, &as_bool) == napi_ok && napi_get_value_bool(env, as_bool, &value) == napi_ok) *(bool *)data = value;
}

/* ref() as an outermost callback; the truthiness of its result (false if it threw). */
static bool guest_call_truthy(napi_ref ref) {
  bool truthy = false;
  guest_call(ref, NULL, take_truthy, &truthy);
  return truthy;
}

/* The toolkit calls this when woken: one queued guest callback; true to be called again. */
static bool guest_invoke(void) {
  guest.rewake = false;
  bool more = guest_call_truthy(guest.on_invoke);
  /* A wake() during the callback (or its promise jobs) found the wake still pending. */
  if (more || guest.rewake) return true;
  guest.wake_pending = false;
  return false;
}

static void free_handle(uv_handle_t *handle) { free(handle); }

/* libuv's I/O phase: the one entry to the toolkit's loop (see the top of this file). */
static void on_entry(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  uv_poll_stop(handle);
  uv_close((uv_handle_t *)handle, free_handle);
  guest.entry = NULL;
  close(guest.entry_fds[0]);
  close(guest.entry_fds[1]);
  guest.entry_fds[0] = guest.entry_fds[1] = -1;
  /* libuv's loop must stay alive while the toolkit's runs (it does: Node's uv_run waits on us).
   * Without a live handle uv_run returns before polling, so an fd left readable in its epoll set
   * (its signal pipe, unreferenced) would never be read and keep the toolkit's poll busy. */
  uv_async_t *alive = malloc(sizeof(uv_async_t));
  if (alive != NULL && uv_async_init(guest.uv, alive, NULL) != 0) {
    free(alive);
    alive = NULL;
  }
  guest.state = GUEST_RUNNING;
  if (!guest.quit_requested) toolkit_run_loop();
  if (alive != NULL) uv_close((uv_handle_t *)alive, free_handle);
  guest.state = GUEST_IDLE;
  guest.quit_requested = false;
  napi_ref on_exit = guest.on_exit;
  napi_ref on_invoke = guest.on_invoke;
  guest.on_exit = guest.on_invoke = NULL;
  if (guest.wake_pending) toolkit_unwake();
  guest.wake_pending = false;
  guest_call(on_exit, NULL, NULL, NULL);
  if (!guest.env_gone) {
    napi_delete_reference(guest.env, on_exit);
    napi_delete_reference(guest.env, on_invoke);
  }
}

/* enter(onInvoke, onExit): run the toolkit's loop from libuv's next I/O phase until quit(). */
static napi_value js_enter(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  for (size_t i = 0; i < 2; i++) {
    napi_valuetype type = napi_undefined;
    if (i < argc) CHECK(env, napi_typeof(env, argv[i], &type));
    if (type != napi_function) return throw_error(env, "enter(onInvoke, onExit) takes two functions");
  }
  if (guest.state != GUEST_IDLE) return throw_error(env, "The host's loop is already running");
  if (guest.env != env) return throw_error(env, "The host runs in Node's main thread only");
  CHECK(env, napi_get_uv_event_loop(env, &guest.uv));
  if (pipe(guest.entry_fds) != 0) return throw_error(env, strerror(errno));
  fcntl(guest.entry_fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(guest.entry_fds[1], F_SETFD, FD_CLOEXEC);
  guest.entry = malloc(sizeof(uv_poll_t));
  if (guest.entry == NULL || uv_poll_init(guest.uv, guest.entry, guest.entry_fds[1]) != 0 ||
      uv_poll_start(guest.entry, UV_WRITABLE, on_entry) != 0) {
    free(guest.entry);
    guest.entry = NULL;
    close(guest.entry_fds[0]);
    close(guest.entry_fds[1]);
    guest.entry_fds[0] = guest.entry_fds[1] = -1;
    return throw_error(env, "Could not arm the host's entry in libuv");
  }
  CHECK(env, napi_create_reference(env, argv[0], 1, &guest.on_invoke));
  CHECK(env, napi_create_reference(env, argv[1], 1, &guest.on_exit));
  if (guest.async_context == NULL) {
    napi_value resource, name;
    CHECK(env, napi_create_object(env, &resource));
    CHECK(env, napi_create_string_utf8(env, "ToolkitHost", NAPI_AUTO_LENGTH, &name));
    CHECK(env, napi_async_init(env, resource, name, &guest.async_context));
  }
  guest.quit_requested = false;
  guest.state = GUEST_ARMED;
  return NULL;
}

/* wake(): have the toolkit run onInvoke soon (coalesced). */
static napi_value js_wake(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  if (guest.wake_pending) {
    guest.rewake = true;
    return NULL;
  }
  guest.wake_pending = true;
  toolkit_wake();
  return NULL;
}

/* quit(): the toolkit's loop returns once the current callback has. */
static napi_value js_quit(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  guest.quit_requested = true;
  if (guest.state == GUEST_RUNNING) toolkit_quit();
  return NULL;
}

static napi_value js_state(napi_env env, napi_callback_info info) {
  (void)info;
  static const char *names[] = {"idle", "armed", "running"};
  napi_value result;
  CHECK(env, napi_create_string_utf8(env, names[guest.state], NAPI_AUTO_LENGTH, &result));
  return result;
}

static void guest_cleanup_hook(void *arg) {
  (void)arg;
  /* Runs before Node frees the env's references: finalizers after it must not call N-API. */
  guest.env_gone = true;
}

/* Up to `n` arguments; missing ones are undefined. */
static bool args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok;
}

/* A malloc'ed UTF-8 copy of a JS string (free it), or NULL with a TypeError thrown. */
static char *string_arg(napi_env env, napi_value value) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_type_error(env, NULL, "Expected a string");
    return NULL;
  }
  char *text = malloc(length + 1);
  if (text == NULL) {
    napi_throw_error(env, NULL, "Out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

/*
 * The module's start: refuses a second thread (the toolkit and this addon serve the first one),
 * registers the cleanup hook, and defines the loop's functions beside the toolkit's own.
 */
static napi_value guest_init(napi_env env, napi_value exports, const napi_property_descriptor *more, size_t count) {
  if (guest.env != NULL && guest.env != env) {
    napi_throw_error(env, NULL, "This toolkit host's addon is in use by another thread (the toolkit runs in one thread only)");
    return NULL;
  }
  guest.env = env;
  napi_add_env_cleanup_hook(env, guest_cleanup_hook, NULL);
  napi_property_descriptor loop[] = {
      {"enter", NULL, js_enter, NULL, NULL, NULL, napi_default, NULL},
      {"wake", NULL, js_wake, NULL, NULL, NULL, napi_default, NULL},
      {"quit", NULL, js_quit, NULL, NULL, NULL, napi_default, NULL},
      {"state", NULL, js_state, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(loop) / sizeof(loop[0]), loop) != napi_ok) return NULL;
  if (napi_define_properties(env, exports, count, more) != napi_ok) return NULL;
  return exports;
}

#endif
