{
  "targets": [
    {
      "target_name": "reprise_watchdog",
      "sources": ["watchdog.cc"],
      "cflags_cc": ["-O2", "-Wno-cast-function-type"]
    }
  ]
}
