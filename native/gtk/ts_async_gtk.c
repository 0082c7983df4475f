/*
 * The GTK host's native half (loop "gtk", src/event_loop/gtk_host.ts): GLib's main loop owns the
 * thread and runs Node's libuv loop as its guest, and a few GTK widgets for cells
 * (src/gtk/widgets.ts).
 *
 * Entering the loop from inside libuv and calling JavaScript from it: ../common/node_guest.h.
 *
 * How libuv is polled. A GSource watches libuv's backend fd, takes GLib's poll timeout from
 * uv_backend_timeout (timers, pending and idle work) and runs uv_run(UV_RUN_NOWAIT) when either
 * says libuv has work.
 *
 * How wakeups cross. JavaScript's runSyncSoon* push onto a queue in JavaScript and call `wake`,
 * which attaches one GLib idle source (the toolkit's "invoke soon"); its callback runs one queued
 * callback per main-loop iteration through napi_make_callback, so promise jobs run after each,
 * interleaved with GTK's events, redraws and libuv. Other threads reach this thread as they always
 * do, through libuv (MessagePort, uv_async), which wakes the epoll fd and so GLib's poll.
 *
 * GTK is single-threaded: everything here runs on Node's main thread only (gtk_host.ts checks).
 */
#include "../common/node_guest.h"

#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/gdkx.h>
#endif

/* libuv and guest callbacks share an iteration with GTK's redraws (GDK_PRIORITY_REDRAW), below
 * input events: a guest that always has work (setImmediate in a loop) cannot starve drawing. */
#define HOST_PRIORITY (G_PRIORITY_HIGH_IDLE + 20)

static struct {
  GMainLoop *loop;
  guint invoke_source;
  gboolean gtk_ready;
} host;

/* ---- libuv as a GSource -------------------------------------------------------------------- */

typedef struct {
  GSource source;
  uv_loop_t *uv;
  gpointer tag;
} UvSource;

static gboolean uv_ready(uv_loop_t *uv) {
  uv_update_time(uv);
  /* uv_backend_timeout is 0 for a loop with nothing to do: that is not work. */
  return uv_loop_alive(uv) && uv_backend_timeout(uv) == 0;
}

static gboolean uv_source_prepare(GSource *source, gint *timeout) {
  uv_loop_t *uv = ((UvSource *)source)->uv;
  uv_update_time(uv);
  if (!uv_loop_alive(uv)) {
    *timeout = -1;
    return FALSE;
  }
  *timeout = uv_backend_timeout(uv);
  return *timeout == 0;
}

static gboolean uv_source_check(GSource *source) {
  UvSource *self = (UvSource *)source;
  return g_source_query_unix_fd(source, self->tag) != 0 || uv_ready(self->uv);
}

static gboolean uv_source_dispatch(GSource *source, GSourceFunc callback, gpointer data) {
  (void)callback;
  (void)data;
  uv_run(((UvSource *)source)->uv, UV_RUN_NOWAIT);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs uv_source_funcs = {uv_source_prepare, uv_source_check, uv_source_dispatch, NULL, NULL, NULL};

static GSource *uv_source_new(uv_loop_t *uv) {
  UvSource *self = (UvSource *)g_source_new(&uv_source_funcs, sizeof(UvSource));
  self->uv = uv;
  self->tag = g_source_add_unix_fd(&self->source, uv_backend_fd(uv), G_IO_IN | G_IO_ERR | G_IO_HUP);
  g_source_set_priority(&self->source, HOST_PRIORITY);
  g_source_set_name(&self->source, "ts-async-kernel: libuv");
  return &self->source;
}

/* ---- the host loop ------------------------------------------------------------------------- */

static void toolkit_run_loop(void) {
  GSource *uv_source = uv_source_new(guest.uv);
  g_source_attach(uv_source, NULL);
  host.loop = g_main_loop_new(NULL, FALSE);
  g_main_loop_run(host.loop);
  g_main_loop_unref(host.loop);
  host.loop = NULL;
  g_source_destroy(uv_source);
  g_source_unref(uv_source);
}

static void toolkit_quit(void) {
  if (host.loop != NULL) g_main_loop_quit(host.loop);
}

static gboolean on_invoke(gpointer data) {
  (void)data;
  if (guest_invoke()) return G_SOURCE_CONTINUE;
  host.invoke_source = 0;
  return G_SOURCE_REMOVE;
}

static void toolkit_wake(void) { host.invoke_source = g_idle_add_full(HOST_PRIORITY, on_invoke, NULL, NULL); }

static void toolkit_unwake(void) {
  if (host.invoke_source != 0) g_source_remove(host.invoke_source);
  host.invoke_source = 0;
}

/* ---- widgets ------------------------------------------------------------------------------- */

static void unref_widget(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  if (!guest.env_gone) g_object_unref(data);
}

static napi_value wrap(napi_env env, GtkWidget *widget) {
  napi_value external;
  g_object_ref_sink(widget);
  if (napi_create_external(env, widget, unref_widget, NULL, &external) != napi_ok) {
    g_object_unref(widget);
    return throw_error(env, "Could not wrap a GTK widget");
  }
  return external;
}

static GtkWidget *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external || napi_get_value_external(env, value, &data) != napi_ok ||
      data == NULL || !GTK_IS_WIDGET(data)) {
    napi_throw_type_error(env, NULL, "Expected a GTK widget");
    return NULL;
  }
  return GTK_WIDGET(data);
}

static gboolean ensure_gtk(napi_env env) {
  if (host.gtk_ready) return TRUE;
  /* gtk_init would set the process's C locale from the environment, under Node and every other
   * native module of the process (decimal commas in printf): GTK does not need it for its widgets. */
  static gboolean locale_kept = FALSE;
  if (!locale_kept) gtk_disable_setlocale();
  locale_kept = TRUE;
  if (!gtk_init_check(NULL, NULL)) {
    const char *display = g_getenv("DISPLAY");
    const char *wayland = g_getenv("WAYLAND_DISPLAY");
    gchar *message = g_strdup_printf(
        "GTK could not open a display (DISPLAY=%s, WAYLAND_DISPLAY=%s): windows need a desktop session or an X server "
        "such as Xvfb (xvfb-run)",
        display ? display : "unset", wayland ? wayland : "unset");
    napi_throw_error(env, "ERR_GTK_NO_DISPLAY", message);
    g_free(message);
    return FALSE;
  }
  host.gtk_ready = TRUE;
  return TRUE;
}

static napi_value js_init(napi_env env, napi_callback_info info) {
  (void)info;
  if (!ensure_gtk(env)) return NULL;
  napi_value result;
  gchar *version = g_strdup_printf("%u.%u.%u", gtk_get_major_version(), gtk_get_minor_version(), gtk_get_micro_version());
  napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &result);
  g_free(version);
  return result;
}

/* create(kind, text?, vertical?) for kind in window | box | button | label. */
static napi_value js_create(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv) || !ensure_gtk(env)) return NULL;
  char *kind = string_arg(env, argv[0]);
  if (kind == NULL) return NULL;
  GtkWidget *widget = NULL;
  if (strcmp(kind, "box") == 0) {
    bool vertical = true;
    napi_get_value_bool(env, argv[2], &vertical);
    widget = gtk_box_new(vertical ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL, 6);
  } else {
    char *text = string_arg(env, argv[1]);
    if (text != NULL) {
      if (strcmp(kind, "window") == 0) {
        widget = gtk_window_new(GTK_WINDOW_TOPLEVEL);
        gtk_window_set_title(GTK_WINDOW(widget), text);
        gtk_container_set_border_width(GTK_CONTAINER(widget), 12);
      } else if (strcmp(kind, "button") == 0) {
        widget = gtk_button_new_with_label(text);
      } else if (strcmp(kind, "label") == 0) {
        widget = gtk_label_new(text);
      }
      free(text);
    }
  }
  gboolean known = widget != NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!known && !pending) napi_throw_type_error(env, NULL, "Unknown widget kind");
  free(kind);
  return known ? wrap(env, widget) : NULL;
}

static napi_value js_add(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  GtkWidget *parent = unwrap(env, argv[0]);
  if (parent == NULL) return NULL;
  GtkWidget *child = unwrap(env, argv[1]);
  if (child == NULL) return NULL;
  if (!GTK_IS_CONTAINER(parent)) return throw_error(env, "Only a window or a box can hold widgets");
  if (gtk_widget_get_parent(child) != NULL) return throw_error(env, "The widget is already in a container");
  if (GTK_IS_WINDOW(child)) return throw_error(env, "A window cannot go inside another widget");
  if (GTK_IS_BIN(parent) && gtk_bin_get_child(GTK_BIN(parent)) != NULL)
    return throw_error(env, "A window holds one widget: put a Box in it to hold several");
  if (GTK_IS_BOX(parent))
    gtk_box_pack_start(GTK_BOX(parent), child, FALSE, FALSE, 0);
  else
    gtk_container_add(GTK_CONTAINER(parent), child);
  return NULL;
}

static napi_value js_set_text(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  char *text = string_arg(env, argv[1]);
  if (text == NULL) return NULL;
  if (GTK_IS_WINDOW(widget))
    gtk_window_set_title(GTK_WINDOW(widget), text);
  else if (GTK_IS_BUTTON(widget))
    gtk_button_set_label(GTK_BUTTON(widget), text);
  else if (GTK_IS_LABEL(widget))
    gtk_label_set_text(GTK_LABEL(widget), text);
  free(text);
  return NULL;
}

static napi_value js_get_text(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  const gchar *text = "";
  if (GTK_IS_WINDOW(widget))
    text = gtk_window_get_title(GTK_WINDOW(widget));
  else if (GTK_IS_BUTTON(widget))
    text = gtk_button_get_label(GTK_BUTTON(widget));
  else if (GTK_IS_LABEL(widget))
    text = gtk_label_get_text(GTK_LABEL(widget));
  CHECK(env, napi_create_string_utf8(env, text ? text : "", NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value js_set_size(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t width = -1, height = -1;
  if (!args(env, info, 3, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  napi_get_value_int32(env, argv[1], &width);
  napi_get_value_int32(env, argv[2], &height);
  if (GTK_IS_WINDOW(widget))
    gtk_window_set_default_size(GTK_WINDOW(widget), width, height);
  else
    gtk_widget_set_size_request(widget, width, height);
  return NULL;
}

static napi_value js_show(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget != NULL) gtk_widget_show_all(widget);
  return NULL;
}

static napi_value js_destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget != NULL) gtk_widget_destroy(widget);
  return NULL;
}

static napi_value js_click(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  if (!GTK_IS_BUTTON(widget)) return throw_error(env, "Only a button can be clicked");
  gtk_button_clicked(GTK_BUTTON(widget));
  return NULL;
}

/* A signal handler that calls a JavaScript function (no arguments; a boolean signal's return
 * value is the function's truthiness, so a "delete-event" handler returning true keeps the window). */
typedef struct {
  GClosure closure;
  napi_ref fn;
} JsClosure;

static void js_closure_marshal(GClosure *closure, GValue *ret, guint n, const GValue *params, gpointer hint, gpointer data) {
  (void)n;
  (void)params;
  (void)hint;
  (void)data;
  gboolean truthy = guest_call_truthy(((JsClosure *)closure)->fn);
  if (ret != NULL && G_VALUE_HOLDS_BOOLEAN(ret)) g_value_set_boolean(ret, truthy);
}

static void js_closure_finalize(gpointer data, GClosure *closure) {
  (void)data;
  JsClosure *self = (JsClosure *)closure;
  if (!guest.env_gone && self->fn != NULL) napi_delete_reference(guest.env, self->fn);
  self->fn = NULL;
}

/* connect(widget, signal, fn) -> handler id */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  if (!args(env, info, 3, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  napi_valuetype type;
  CHECK(env, napi_typeof(env, argv[2], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "A signal handler must be a function");
    return NULL;
  }
  char *signal = string_arg(env, argv[1]);
  if (signal == NULL) return NULL;
  guint id = 0;
  GQuark detail = 0;
  gboolean valid = g_signal_parse_name(signal, G_OBJECT_TYPE(widget), &id, &detail, TRUE);
  if (!valid) {
    gchar *message = g_strdup_printf("A %s has no signal \"%s\"", G_OBJECT_TYPE_NAME(widget), signal);
    napi_throw_error(env, NULL, message);
    g_free(message);
    free(signal);
    return NULL;
  }
  JsClosure *closure = (JsClosure *)g_closure_new_simple(sizeof(JsClosure), NULL);
  if (napi_create_reference(env, argv[2], 1, &closure->fn) != napi_ok) {
    g_closure_sink((GClosure *)closure);
    free(signal);
    return throw_error(env, "Could not keep the signal handler");
  }
  g_closure_add_finalize_notifier((GClosure *)closure, NULL, js_closure_finalize);
  g_closure_set_marshal((GClosure *)closure, js_closure_marshal);
  gulong handler = g_signal_connect_closure(widget, signal, (GClosure *)closure, FALSE);
  free(signal);
  CHECK(env, napi_create_double(env, (double)handler, &result));
  return result;
}

static napi_value js_disconnect(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double handler = 0;
  if (!args(env, info, 2, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  napi_get_value_double(env, argv[1], &handler);
  if (handler > 0 && g_signal_handler_is_connected(widget, (gulong)handler)) g_signal_handler_disconnect(widget, (gulong)handler);
  return NULL;
}

static napi_value js_allocation(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, number;
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  GtkAllocation a;
  gtk_widget_get_allocation(widget, &a);
  gint x = 0, y = 0;
  GtkWidget *top = gtk_widget_get_toplevel(widget);
  if (top != widget) gtk_widget_translate_coordinates(widget, top, 0, 0, &x, &y);
  CHECK(env, napi_create_object(env, &result));
  const char *names[] = {"x", "y", "width", "height"};
  int values[] = {x, y, a.width, a.height};
  for (int i = 0; i < 4; i++) {
    CHECK(env, napi_create_int32(env, values[i], &number));
    CHECK(env, napi_set_named_property(env, result, names[i], number));
  }
  return result;
}

/* The X11 id of a shown window (for xdotool and screenshots), or null elsewhere. */
static napi_value js_xid(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  CHECK(env, napi_get_null(env, &result));
#ifdef GDK_WINDOWING_X11
  GdkWindow *window = gtk_widget_get_window(widget);
  if (window != NULL && GDK_IS_X11_WINDOW(window)) CHECK(env, napi_create_double(env, (double)gdk_x11_window_get_xid(window), &result));
#endif
  return result;
}

static cairo_status_t append_png(void *closure, const unsigned char *data, unsigned int length) {
  g_byte_array_append((GByteArray *)closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* snapshot(widget) -> PNG bytes of what GTK draws for it (a shown widget), or null. */
static napi_value js_snapshot(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  if (!args(env, info, 1, argv)) return NULL;
  GtkWidget *widget = unwrap(env, argv[0]);
  if (widget == NULL) return NULL;
  CHECK(env, napi_get_null(env, &result));
  int width = gtk_widget_get_allocated_width(widget), height = gtk_widget_get_allocated_height(widget);
  if (!gtk_widget_get_realized(widget) || width <= 1 || height <= 1) return result;
  cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create(surface);
  /* A window's background comes from the theme's CSS; paint white first for a plain PNG. */
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  gtk_widget_draw(widget, cr);
  cairo_destroy(cr);
  GByteArray *png = g_byte_array_new();
  cairo_status_t status = cairo_surface_write_to_png_stream(surface, append_png, png);
  cairo_surface_destroy(surface);
  if (status == CAIRO_STATUS_SUCCESS) {
    void *copy = NULL;
    napi_status made = napi_create_buffer_copy(env, png->len, png->data, &copy, &result);
    g_byte_array_unref(png);
    CHECK(env, made);
    return result;
  }
  g_byte_array_unref(png);
  return result;
}

static gboolean on_after_redraw(gpointer data) {
  guest_call((napi_ref)data, NULL, NULL, NULL);
  if (!guest.env_gone) napi_delete_reference(guest.env, (napi_ref)data);
  return G_SOURCE_REMOVE;
}

/* afterRedraw(fn): call fn once GTK has laid out and drawn what is pending (a default-idle
 * source runs after GTK's resize and redraw sources, which have higher priorities). */
static napi_value js_after_redraw(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_valuetype type;
  napi_ref ref;
  if (!args(env, info, 1, argv)) return NULL;
  CHECK(env, napi_typeof(env, argv[0], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "afterRedraw takes a function");
    return NULL;
  }
  CHECK(env, napi_create_reference(env, argv[0], 1, &ref));
  g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, on_after_redraw, ref, NULL);
  return NULL;
}

/* ---- module -------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"add", NULL, js_add, NULL, NULL, NULL, napi_default, NULL},
      {"setText", NULL, js_set_text, NULL, NULL, NULL, napi_default, NULL},
      {"getText", NULL, js_get_text, NULL, NULL, NULL, napi_default, NULL},
      {"setSize", NULL, js_set_size, NULL, NULL, NULL, napi_default, NULL},
      {"show", NULL, js_show, NULL, NULL, NULL, napi_default, NULL},
      {"destroy", NULL, js_destroy, NULL, NULL, NULL, napi_default, NULL},
      {"click", NULL, js_click, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"disconnect", NULL, js_disconnect, NULL, NULL, NULL, napi_default, NULL},
      {"allocation", NULL, js_allocation, NULL, NULL, NULL, napi_default, NULL},
      {"xid", NULL, js_xid, NULL, NULL, NULL, napi_default, NULL},
      {"snapshot", NULL, js_snapshot, NULL, NULL, NULL, napi_default, NULL},
      {"afterRedraw", NULL, js_after_redraw, NULL, NULL, NULL, napi_default, NULL},
  };
  return guest_init(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
