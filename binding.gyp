{
  "targets": [
    {
      "target_name": "ulvs_native",
      "sources": [
        "native/addon.cc",
        "native/nfqueue.cc",
        "native/batch-handle.cc",
        "native/afpacket.cc",
        "native/afpacket-rx.cc",
        "native/afxdp.cc",
        "native/afxdp-open.cc",
        "native/xsk.cc",
        "native/offload.cc",
        "native/rawsock.cc",
        "native/rawsock-poll.cc",
        "native/frame-send.cc",
        "native/xdp.cc",
        "native/sysd.cc",
        "native/memadvise.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-O2", "-std=c++17", "-fno-exceptions", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-lnetfilter_queue", "-lnfnetlink", "-lmnl"]
    }
  ]
}
