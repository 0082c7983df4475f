{
  "targets": [
    {
      "target_name": "ts_async_tk",
      "sources": ["ts_async_tk.c"],
      "cflags": ["<!@(pkg-config --cflags tk)", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs tk)"]
    }
  ]
}
