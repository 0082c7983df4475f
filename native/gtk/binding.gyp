{
  "targets": [
    {
      "target_name": "ts_async_gtk",
      "sources": ["ts_async_gtk.c"],
      "cflags": ["<!@(pkg-config --cflags gtk+-3.0)", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs gtk+-3.0)"]
    }
  ]
}
