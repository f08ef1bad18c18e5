# The hostile cases, read by make-corpus.py:
#   case(NAME, BASE, WHAT IT TRIES, EDIT...[, enc=ENCODING])
# EDIT: ("sub", REGEX, TEXT) replaces the first line matching REGEX,
# ("after"/"before", REGEX, TEXT) inserts, ("add", TEXT) appends,
# ("del", REGEX) drops lines, ("mark", REGEX) makes an existing line a
# hostile line too (the value the edit contradicts).  "@@" starts the hostile line(s) of TEXT;
# {{xHH..}} are raw bytes.

# ---- Dini: values at and past every limit --------------------------------
case("dini-d-31", "dini-adjacent", "d at its upper limit 31 (2^31 node ids)",
     ("sub", r"^  d: 8", "@@  d: 31"))
case("dini-d-neg-zero", "dini-adjacent", "d: -0 (negative zero integer)",
     ("sub", r"^  d: 8", "@@  d: -0"))
case("dini-d-1e300", "dini-adjacent", "d: 1e300 (float far past any integer)",
     ("sub", r"^  d: 8", "@@  d: 1e300"))
case("dini-ring-2e9", "dini-adjacent", "ring 2e9 with pool 8",
     ("sub", r"^  ring: 4", "@@  ring: 2000000000"), ("mark", r"^  pool: 8"))
case("dini-ring-2p32", "dini-adjacent", "ring 2^32 (wraps to 0 in 32 bits)",
     ("sub", r"^  ring: 4", "@@  ring: 4294967296"), ("mark", r"^  pool: 8"))
case("dini-pool-2p64", "dini-adjacent", "pool 2^64 (wraps to 0 in 64 bits)",
     ("sub", r"^  pool: 8", "@@  pool: 18446744073709551616"), ("mark", r"^  ring: 4"))
case("dini-pool-max-ring-max", "dini-adjacent", "pool 1048576 and ring 1048576: the largest key store",
     ("sub", r"^  pool: 8", "@@  pool: 1048576"), ("sub", r"^  ring: 4", "@@  ring: 1048576"))
case("dini-search-hops-neg", "dini-adjacent", "search_hops: -1",
     ("sub", r"^  search_hops: 3", "@@  search_hops: -1"))
case("dini-rekey-every-1ns", "dini-adjacent", "rekey_every: 1ns (a rekey per clock tick)",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_every: 1ns"))
case("dini-rekey-every-nan", "dini-adjacent", "rekey_every: nan s",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_every: nans"))
case("dini-rekey-every-dotnan", "dini-adjacent", "rekey_every: .nan (YAML's NaN, no unit)",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_every: .nan"))
case("dini-rekey-every-2p64ns", "dini-adjacent", "rekey_every: 2^64 ns (wraps the ns clock)",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_every: 18446744073709551616ns"))
case("dini-retry-after-inf", "dini-invalidation", "retry_after: inf s",
     ("sub", r"^  retry_after: 30s", "@@  retry_after: infs"))
case("dini-invalidate-key-neg", "dini-invalidation", "invalidate_key: -1",
     ("sub", r"^  invalidate_key: 0", "@@  invalidate_key: -1"))
case("dini-invalidate-at-1ns-before-end", "dini-invalidation", "invalidate_at 1ns before duration (the last legal instant)",
     ("sub", r"^  invalidate_at: 4min", "@@  invalidate_at: 1199999999999ns"))
case("dini-key-format-k-node-0", "dini-seed001-s1", "key_format k_node_bytes: 0",
     ("sub", r"^  key_format:", "@@  key_format: {global_name_bytes: 2, key_value_bytes: 8, k_incr_bytes: 1, k_node_bytes: 0}"))
case("dini-key-format-2p32", "dini-seed001-s1", "key_format global_name_bytes: 2^32",
     ("sub", r"^  key_format:", "@@  key_format: {global_name_bytes: 4294967296, key_value_bytes: 8, k_incr_bytes: 1, k_node_bytes: 1}"))
case("dini-local-keys-from-nowhere", "dini-adjacent", "local_keys_from: an unknown word with an ESC byte escaped in it",
     ("sub", r"^  local_keys_from: so", '@@  local_keys_from: "so\\e[2J"'))
case("dini-findglobalkey-empty", "dini-adjacent", "findglobalkey: '' (empty string)",
     ("sub", r"^  findglobalkey: radio", "@@  findglobalkey: ''"))
case("dini-rekey-at-unsorted-dup", "dini-adjacent", "rekey_at: unsorted list with duplicates",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_at: [10min, 1min, 10min, 0.5ns]"))
case("dini-rekey-at-beyond", "dini-adjacent", "rekey_at: one time past duration among good ones",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_at: [1min, 2min, 21min]"))
case("dini-retransmit-max-2p64", "dini-seed001-s1", "retransmit_max: 2^64",
     ("after", r"^  rekey_every: 5min", "@@  retransmit_max: 18446744073709551616"))
case("dini-setup-timeout-0", "dini-seed001-s1", "setup_timeout: 0s",
     ("after", r"^  rekey_every: 5min", "@@  setup_timeout: 0s"))
case("dini-replay-window-huge", "dini-seed001-s1", "replay_window: 2^40",
     ("after", r"^  rekey_every: 5min", "@@  replay_window: 1099511627776"))
case("dini-so-more-than-ids", "dini-seed001-s1", "d: 1 (2 ids) but 7 nodes",
     ("sub", r"^  d: 8", "@@  d: 1"), ("mark", r"^  sources: 6"))

# ---- Di Pietro -------------------------------------------------------------
case("dipietro-rekey-every-1ms", "dipietro-seed001-s1", "rekey_every: 1ms (issue 20: run-away)",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_every: 1ms"))
case("dipietro-rekey-every-neg-zero", "dipietro-seed001-s1", "rekey_every: -0s",
     ("sub", r"^  rekey_every: 5min", "@@  rekey_every: -0s"))
case("dipietro-q-nan", "dipietro-seed001-s1", "q: .nan",
     ("sub", r"^  q: 64", "@@  q: .nan"))
case("dipietro-q-64-float", "dipietro-seed001-s1", "q: 64.0 (float spelling of a legal value)",
     ("sub", r"^  q: 64", "@@  q: 64.0"))
case("dipietro-sync-unknown", "dipietro-seed001-s1", "sync: an unknown mode",
     ("after", r"^  q: 64", "@@  sync: quantum"))
case("dipietro-retransmit-after-1ns", "dipietro-seed001-s1", "retransmit_after: 1ns with retransmit_max 16",
     ("after", r"^  q: 64", "@@  retransmit_after: 1ns\n  retransmit_max: 16"))
case("dipietro-sources-16777216", "dipietro-seed001-s1", "sources at the node limit (memory)",
     ("sub", r"^  sources: 6", "@@  sources: 16777215"), ("sub", r"^  anonymous: 4", "  anonymous: 0"))
case("dipietro-interval-1ns", "dipietro-seed001-s1", "interval: const(1ns) (one message per tick per source)",
     ("sub", r"^  interval: exp\(60s\)", "@@  interval: const(1ns)"))

# ---- Eschenauer-Gligor ----------------------------------------------------
case("eg-q-zero", "eg-grid", "q: 0",
     ("sub", r"^  q: 1", "@@  q: 0"))
case("eg-revoke-nodes-2p64", "eg-grid", "revoke_nodes: [2^64 - 1]",
     ("sub", r"^  revoke_nodes:", "@@  revoke_nodes: [18446744073709551615]"))
case("eg-revoke-nodes-neg", "eg-grid", "revoke_nodes: [-1]",
     ("sub", r"^  revoke_nodes:", "@@  revoke_nodes: [23, -1]"))
case("eg-revoke-nodes-dup", "eg-grid", "revoke_nodes: the same node twice",
     ("sub", r"^  revoke_nodes:", "@@  revoke_nodes: [23, 23]"))
case("eg-revoke-nodes-so", "eg-grid", "revoke_nodes: a smart object (node 0)",
     ("sub", r"^  revoke_nodes:", "@@  revoke_nodes: [0, 57]"))
case("eg-revoke-at-neg-zero", "eg-grid", "revoke_at: -0s",
     ("sub", r"^  revoke_at: 2min", "@@  revoke_at: -0s"))
case("eg-revoke-at-nan", "eg-grid", "revoke_at: nan min",
     ("sub", r"^  revoke_at: 2min", "@@  revoke_at: nanmin"))
case("eg-path-hops-2p32", "eg-grid", "path_hops: 2^32",
     ("sub", r"^  path_hops: 3", "@@  path_hops: 4294967296"))
case("eg-key-id-bytes-zero", "eg-grid", "key_id_bytes: 0",
     ("sub", r"^  key_id_bytes: 2", "@@  key_id_bytes: 0"))
case("eg-pool-ring-4096", "eg-grid", "ring 4096 of pool 4096 (every ring is the pool)",
     ("sub", r"^  pool: 1000", "@@  pool: 4096"), ("sub", r"^  ring: 50", "@@  ring: 4096"))
case("eg-ring-float", "eg-grid", "ring: 50.5",
     ("sub", r"^  ring: 50", "@@  ring: 50.5"))
case("eg-columns-huge", "eg-grid", "grid columns 16777216 with 100 sources",
     ("sub", r"^  columns: 10", "@@  columns: 16777216"), ("mark", r"^  sources: 100"))
case("eg-spacing-nan", "eg-grid", "grid spacing nan m",
     ("sub", r"^  spacing: 10m", "@@  spacing: nanm"))
case("eg-spacing-zero", "eg-grid", "grid spacing 0m (every node at one point)",
     ("sub", r"^  spacing: 10m", "@@  spacing: 0m"))
case("eg-queue-2p64", "eg-grid", "link queue 2^64 B",
     ("sub", r"^  link: \{latency: 2ms", "@@  link: {latency: 2ms, bandwidth: 250kbps, queue: 18446744073709551616B}"))

# ---- netkey and pairwise --------------------------------------------------
case("netkey-rekey-every-1ns", "netkey-tree", "rekey_every: 1ns",
     ("sub", r"^  rekey_every: 1min", "@@  rekey_every: 1ns"))
case("netkey-so-16384", "netkey-tree", "16384 smart objects (issue 20: quadratic routing)",
     ("sub", r"^  smart_objects: 1", "@@  smart_objects: 16384"))
case("netkey-key-bytes-65", "netkey-tree", "key_value_bytes: 65",
     ("sub", r"^  key_value_bytes: 8", "@@  key_value_bytes: 65"))
case("netkey-per-hop-mac-null", "netkey-tree", "per_hop_mac: ~ (null)",
     ("after", r"^  key_value_bytes: 8", "@@  per_hop_mac: ~"))
case("netkey-per-hop-mac-yes", "netkey-tree", "per_hop_mac: yes (YAML 1.1 boolean)",
     ("after", r"^  key_value_bytes: 8", "@@  per_hop_mac: yes"))
case("netkey-fanout-1-chain", "netkey-tree", "fanout 1: a chain of 100000 sources",
     ("sub", r"^  fanout: 2", "@@  fanout: 1"), ("sub", r"^  sources: 14", "@@  sources: 100000"))
case("pairwise-key-id-bytes-neg-zero", "pairwise-tree", "key_id_bytes: -0",
     ("sub", r"^  key_id_bytes: 2", "@@  key_id_bytes: -0"))
case("pairwise-rekey-every-1e300s", "pairwise-tree", "rekey_every: 1e300s",
     ("sub", r"^  rekey_every: 1min", "@@  rekey_every: 1e300s"))
case("pairwise-rekey-every-1e-300s", "pairwise-tree", "rekey_every: 1e-300s (rounds to 0 ns)",
     ("sub", r"^  rekey_every: 1min", "@@  rekey_every: 1e-300s"))
case("pairwise-retransmit-after-neg", "pairwise-tree", "retransmit_after: -1ns",
     ("after", r"^  key_value_bytes: 8", "@@  retransmit_after: -1ns"))
case("pairwise-sources-1m", "pairwise-tree", "1,000,000 sources on one SO (pairwise key table; their traffic overloads it: interval is the other side)",
     ("sub", r"^  sources: 14", "@@  sources: 1000000"), ("mark", r"^  interval:"))
case("pairwise-previous-key-for-huge", "pairwise-tree", "previous_key_for: 438001h (past the time limit)",
     ("after", r"^  key_value_bytes: 8", "@@  previous_key_for: 438001h"))

# ---- none / general: times ------------------------------------------------
case("default-duration-1ns", "default", "duration: 1ns (warmup 10min longer)",
     ("sub", r"^duration: 1h", "@@duration: 1ns"), ("mark", r"^warmup:"))
case("default-duration-neg-zero", "default", "duration: -0s",
     ("sub", r"^duration: 1h", "@@duration: -0s"))
case("default-duration-nan", "default", "duration: nanh",
     ("sub", r"^duration: 1h", "@@duration: nanh"))
case("default-duration-inf", "default", "duration: .inf (YAML infinity, no unit)",
     ("sub", r"^duration: 1h", "@@duration: .inf"))
case("default-duration-1e300h", "default", "duration: 1e300h",
     ("sub", r"^duration: 1h", "@@duration: 1e300h"))
case("default-duration-limit", "default", "duration 438000h exactly (the limit)",
     ("sub", r"^duration: 1h", "@@duration: 438000h"))
case("default-duration-hex", "default", "duration: 0x10s",
     ("sub", r"^duration: 1h", "@@duration: 0x10s"))
case("default-warmup-neg-zero", "default", "warmup: -0min",
     ("sub", r"^warmup: 10min", "@@warmup: -0min"))
case("default-seed-2p64", "default", "seed: 2^64",
     ("sub", r"^seed: 42", "@@seed: 18446744073709551616"))
case("default-seed-hex", "default", "seed: 0x2a (YAML 1.1 hex)",
     ("sub", r"^seed: 42", "@@seed: 0x2a"))
case("default-seed-sexagesimal", "default", "seed: 1:30 (YAML 1.1 base 60)",
     ("sub", r"^seed: 42", "@@seed: 1:30"))
case("default-replications-zero", "default", "replications: 0",
     ("sub", r"^replications: 5", "@@replications: 0"))
case("default-replications-float", "default", "replications: 1e4",
     ("sub", r"^replications: 5", "@@replications: 1e4"))
case("default-max-events-2p64", "default", "max_events: 2^64",
     ("after", r"^replications: 5", "@@max_events: 18446744073709551616"))
case("default-interval-1ns", "default", "interval: const(1ns) (event rate 4e10/s)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: const(1ns)"))
case("default-interval-exp-1ms", "default", "interval: exp(1ms) (issue 20: typo for 1min, run-away)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: exp(1ms)"))
case("default-interval-uniform-0-0", "default", "interval: uniform(0s, 0s)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: uniform(0s, 0s)"))
case("default-interval-uniform-reversed", "default", "interval: uniform(2s, 1s)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: uniform(2s, 1s)"))
case("default-interval-normal-half-ns", "default", "interval: normal(0.5ns, 0s) (rounds to 0)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: normal(0.5ns, 0s)"))
case("default-interval-normal-neg-mean", "default", "interval: normal(-10s, 1s) (all draws negative -> 0)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: normal(-10s, 1s)"))
case("default-interval-gamma-tiny-shape", "default", "interval: gamma(1e-300, 1s) (draws all 0)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: gamma(1e-300, 1s)"))
case("default-interval-weibull-shape-0", "default", "interval: weibull(1s, 0)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: weibull(1s, 0)"))
case("default-interval-weibull-tiny-shape", "default", "interval: weibull(1s, 1e-3) (mostly 0 draws)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: weibull(1s, 0.001)"))
case("default-interval-pareto-nan", "default", "interval: pareto(nan, 1s)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: pareto(nan, 1s)"))
case("default-interval-erlang-2p32", "default", "interval: erlang(2^32, 1s)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: erlang(4294967296, 1s)"))
case("default-interval-lognormal-neg-sd", "default", "interval: lognormal(1s, -1s)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: lognormal(1s, -1s)"))
case("default-interval-nested-call", "default", "interval: exp(exp(1s)) (nested distribution)",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: exp(exp(1s))"))
case("default-interval-many-args", "default", "interval: uniform with 1000 arguments",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: 'uniform(" + ", ".join(["1s"] * 1000) + ")'"))
case("default-interval-paren-bomb", "default", "interval: 2000 nested parentheses",
     ("sub", r"^  interval: exp\(120s\)", "@@  interval: '" + "(" * 2000 + "1s" + ")" * 2000 + "'"))
case("default-register-retry-1ns", "default", "register_retry: 1ns (issue 20: run-away)",
     ("after", r"^  register_at:", "@@  register_retry: 1ns"))
case("default-register-at-beyond", "default", "register_at: 100h in a 1h run",
     ("sub", r"^  register_at:", "@@  register_at: 100h"))
case("default-start-until-duration", "default", "traffic.start between --until (1min) and duration: accepted, not reached",
     ("after", r"^  register_at:", "@@  start: 30min"))
case("default-start-neg-zero", "default", "traffic.start: -0ns",
     ("after", r"^  register_at:", "@@  start: -0ns"))
case("default-anonymous-too-many", "default", "anonymous 41 of 40 sources",
     ("after", r"^  register_at:", "@@  anonymous: 41"), ("mark", r"^  sources: 40"))
case("default-service-1e300", "default", "service: exp(1e300s) (an SO that never finishes)",
     ("sub", r"^  service: exp\(2.5s\)", "@@  service: exp(1e300s)"))
case("default-publish-inf", "default", "publish: const(infs)",
     ("sub", r"^  publish: const\(244ms\)", "@@  publish: const(infs)"))
case("default-queue-capacity-2p32", "default", "queue_capacity: 2^32",
     ("after", r"^  service: exp\(2.5s\)", "@@  queue_capacity: 4294967296"))

# ---- none / general: sizes and topology ----------------------------------
case("default-size-64KiB-plus-1", "default", "size: 65537B (one past the payload limit)",
     ("sub", r"^  size: 256B", "@@  size: 65537B"))
case("default-size-1e300B", "default", "size: 1e300B",
     ("sub", r"^  size: 256B", "@@  size: 1e300B"))
case("default-size-uniform-reversed", "default", "size: uniform(512B, 64B)",
     ("sub", r"^  size: 256B", "@@  size: uniform(512B, 64B)"))
case("default-size-neg-zero", "default", "size: -0B",
     ("sub", r"^  size: 256B", "@@  size: -0B"))
case("default-area-zero", "default", "area: [0m, 0m]",
     ("sub", r"^  area:", "@@  area: [0m, 0m]"))
case("default-area-1e300km", "default", "area: [1e300km, 1e300km]",
     ("sub", r"^  area:", "@@  area: [1e300km, 1e300km]"))
case("default-area-three", "default", "area: three dimensions",
     ("sub", r"^  area:", "@@  area: [300m, 300m, 300m]"))
case("default-range-zero", "default", "range: 0m (no links at all)",
     ("sub", r"^  range: 100m", "@@  range: 0m"))
case("default-range-nan", "default", "range: nanm",
     ("sub", r"^  range: 100m", "@@  range: nanm"))
case("default-range-1e300km", "default", "range: 1e300km (a complete graph)",
     ("sub", r"^  range: 100m", "@@  range: 1e300km"))
case("default-latency-1e300s", "default", "link latency 1e300s",
     ("sub", r"^  link: \{latency: 5ms", "@@  link: {latency: 1e300s, bandwidth: 250kbps, loss: 0.01}"))
case("default-bandwidth-zero", "default", "link bandwidth 0bps",
     ("sub", r"^  link: \{latency: 5ms", "@@  link: {latency: 5ms, bandwidth: 0bps, loss: 0.01}"))
case("default-bandwidth-1bps", "default", "link bandwidth 1bps (queues grow)",
     ("sub", r"^  link: \{latency: 5ms", "@@  link: {latency: 5ms, bandwidth: 1bps, loss: 0.01}"))
case("default-loss-nan", "default", "loss: .nan",
     ("sub", r"^  link: \{latency: 5ms", "@@  link: {latency: 5ms, bandwidth: 250kbps, loss: .nan}"))
case("default-loss-almost-1", "default", "loss: 0.9999999999999999",
     ("sub", r"^  link: \{latency: 5ms", "@@  link: {latency: 5ms, bandwidth: 250kbps, loss: 0.9999999999999999}"))
case("default-sources-16777000", "default", "sources: 16777000 (issue 20: 7.4 GB to validate)",
     ("sub", r"^  sources: 40", "@@  sources: 16777000"), ("mark", r"^  generator:"))
case("default-subscribers-limit", "default", "subscribers: 16777216 (total past the limit)",
     ("sub", r"^  subscribers: 8", "@@  subscribers: 16777216"), ("mark", r"^  sources: 40"))
case("default-so-more-than-sources", "default", "1000 smart objects for 40 sources",
     ("sub", r"^  smart_objects: 4", "@@  smart_objects: 1000"), ("mark", r"^  sources: 40"))
case("default-sources-underscore", "default", "sources: 4_0 (YAML 1.1 digit separator)",
     ("sub", r"^  sources: 40", "@@  sources: 4_0"))
case("default-sources-plus", "default", "sources: +40",
     ("sub", r"^  sources: 40", "@@  sources: +40"))
case("default-sources-octal", "default", "sources: 0o50",
     ("sub", r"^  sources: 40", "@@  sources: 0o50"))
case("default-generator-unknown", "default", "generator: an unknown one with a bidi override",
     ("sub", r"^  generator: random_geometric", "@@  generator: \"random\u202e_geometric\""))
case("default-topic-nul-escape", "default", "a topic with an escaped NUL (\\0)",
     ("sub", r"^  topics:", '@@  topics: ["home/{id}/\\0temperature"]'))
case("default-topic-4097", "default", "a topic of 4097 bytes (one past the string limit)",
     ("sub", r"^  topics:", '@@  topics: ["' + "t" * 4097 + '"]'))
case("default-topic-id-x1000", "default", "a topic of 1000 {id} placeholders (expands past 64 KiB?)",
     ("sub", r"^  topics:", '@@  topics: ["' + "{id}" * 1000 + '"]'))
case("default-topic-wildcard", "default", "a published topic with wildcards",
     ("sub", r"^  topics:", '@@  topics: ["home/#/+"]'))
case("default-filter-bad", "default", "a subscriber filter with # in the middle",
     ("sub", r"^  filters:", '@@  filters: ["home/#/temperature"]'))
case("default-filter-esc", "default", "a filter holding ESC and C1 CSI bytes (must be escaped in the message)",
     ("sub", r"^  filters:", '@@  filters: ["home/\\e[31m\\x9b/#/x"]'))
case("tree-fanout-1025", "tree", "fanout 1025",
     ("sub", r"^  fanout: 2", "@@  fanout: 1025"))
case("grid-columns-zero-spacing-inf", "grid", "grid spacing infm",
     ("sub", r"^  spacing: 10m", "@@  spacing: infm"))
case("grid-queue-1B", "grid", "link queue 1B (every packet dropped)",
     ("sub", r"^  link: \{latency: 2ms", "@@  link: {latency: 2ms, bandwidth: 250kbps, loss: 0.005, queue: 1B}"))
case("mm1-service-zero", "mm1-seed000", "service: const(0s)",
     ("sub", r"^  service: exp\(2.5s\)", "@@  service: const(0s)"))
case("mm1-interval-exp-1e-20s", "mm1-seed000", "interval: exp(1e-20s) (issue 20: hang)",
     ("sub", r"^  interval: exp\(60s\)", "@@  interval: exp(1e-20s)"))

# ---- explicit topologies ---------------------------------------------------
case("explicit-two-islands", "explicit-small", "backbone link removed: two islands, each with an SO, require_connected default true",
     ("sub", r"^    - \{a: 1, b: 2, latency", "@@    - {a: 10, b: 11, latency: 10ms}"), ("del", r"^    - \{a: 10, b: 11, loss"), ("mark", r"^topology:"), ("mark", r"^  generator: explicit"))
case("explicit-id-2p64", "explicit-small", "node id 2^64",
     ("sub", r"id: 14, role: source", "@@    - {id: 18446744073709551616, role: source, pos: [90m, 40m]}"))
case("explicit-id-2p32", "explicit-small", "node id 2^32 (same as 0 in 32 bits)",
     ("sub", r"id: 14, role: source", "@@    - {id: 4294967296, role: source, pos: [90m, 40m]}"),
     ("sub", r"\{a: 11, b: 14\}", "    - {a: 11, b: 4294967296}"))
case("explicit-id-negative", "explicit-small", "node id -14",
     ("sub", r"id: 14, role: source", "@@    - {id: -14, role: source, pos: [90m, 40m]}"))
case("explicit-id-float", "explicit-small", "node id 14.0",
     ("sub", r"id: 14, role: source", "@@    - {id: 14.0, role: source, pos: [90m, 40m]}"))
case("explicit-id-quoted", "explicit-small", "node id \"14\" (a quoted number)",
     ("sub", r"id: 14, role: source", '@@    - {id: "14", role: source, pos: [90m, 40m]}'))
case("explicit-pos-nan", "explicit-small", "pos: [nanm, 0m]",
     ("sub", r"id: 14, role: source", "@@    - {id: 14, role: source, pos: [nanm, 40m]}"))
case("explicit-pos-inf", "explicit-small", "pos: [-infm, infm]",
     ("sub", r"id: 14, role: source", "@@    - {id: 14, role: source, pos: [-infm, infm]}"))
case("explicit-role-unknown", "explicit-small", "role: attacker",
     ("sub", r"id: 14, role: source", "@@    - {id: 14, role: attacker, pos: [90m, 40m]}"))
case("explicit-link-loss-1", "explicit-small", "a link with loss 1 (cuts a source off)",
     ("sub", r"\{a: 10, b: 11, loss", "@@    - {a: 10, b: 11, loss: 1}"))
case("explicit-link-latency-zero-all", "explicit-small", "every link latency 0s and bandwidth 1e300Gbps",
     ("sub", r"^  link: \{latency: 4ms", "@@  link: {latency: 0s, bandwidth: 1e300Gbps}"))
case("explicit-merge-key", "explicit-small", "nodes built with YAML merge keys (<<)",
     ("sub", r"id: 13, role: source", "    - &src {id: 13, role: source, pos: [230m, 30m]}"),
     ("sub", r"id: 14, role: source", "@@    - {<<: *src, id: 14}"))
case("explicit-merge-dup", "explicit-small", "a merge key and the same key twice",
     ("sub", r"id: 14, role: source", "@@    - {<<: {id: 15}, id: 14, role: source, <<: {role: smart_object}}"))
case("explicit-complex-key", "explicit-small", "a complex mapping key (? [a, b])",
     ("sub", r"\{a: 11, b: 14\}", "@@    - {? [a, b] : [11, 14]}"))
case("explicit-alias-link-self", "explicit-small", "a link whose a and b are one alias",
     ("sub", r"\{a: 11, b: 14\}", "@@    - {a: &n 14, b: *n}"))
case("explicit-link-to-subscriber-chain", "explicit-small", "a source reachable only through a subscriber",
     ("sub", r"\{a: 11, b: 14\}", "@@    - {a: 20, b: 14}"))
case("explicit-require-false-orphan", "explicit-small", "require_connected false and a source with no link",
     ("after", r"^  generator: explicit", "  require_connected: false"), ("del", r"\{a: 11, b: 14\}"),
     ("sub", r"id: 14, role: source", "@@    - {id: 14, role: source, pos: [90m, 40m]}"))

# ---- moves ----------------------------------------------------------------
case("moves-at-neg-zero", "moves-away-back", "a move at -0s",
     ("sub", r"\{node: 10, at: 3min, to: 2\}", "@@  - {node: 10, at: -0s, to: 2}"))
case("moves-to-missing", "moves-away-back", "a move to node 99 (no such node)",
     ("sub", r"\{node: 10, at: 3min, to: 2\}", "@@  - {node: 10, at: 3min, to: 99}"))
case("moves-node-2p32", "moves-away-back", "a move of node 2^32",
     ("sub", r"\{node: 10, at: 3min, to: 2\}", "@@  - {node: 4294967296, at: 3min, to: 2}"))
case("moves-same-instant", "moves-away-back", "the same source moved twice at one instant",
     ("sub", r"\{node: 10, at: 9min, to: 1\}", "@@  - {node: 10, at: 3min, to: 1}"))
case("moves-1ns-pingpong", "moves-away-back", "moves 1ns apart, ping-pong",
     ("sub", r"\{node: 14, at: 12min, to: 2\}", "@@  - {node: 14, at: 360000000001ns, to: 2}"),
     ("sub", r"\{node: 14, at: 15min, to: 1\}", "@@  - {node: 14, at: 360000000002ns, to: 1}"))
case("moves-at-nan", "moves-away-back", "a move at nanmin",
     ("sub", r"\{node: 10, at: 3min, to: 2\}", "@@  - {node: 10, at: nanmin, to: 2}"))

# ---- attackers ------------------------------------------------------------
case("attack-capture-missing-node", "attack-all", "node_capture of node 999",
     ("sub", r"type: node_capture", "@@  - {type: node_capture, nodes: [999], at: 3min, detection: 1min}"))
case("attack-at-nan", "attack-all", "an attacker at nanmin",
     ("sub", r"type: global_key_leak", "@@  - {type: global_key_leak, at: nanmin, detection: 1min}"))
case("attack-flood-1e12", "attack-all", "flooding at 1e12/s (issue 20: run-away)",
     ("sub", r"type: flooding", "@@  - {type: flooding, at: 0s, rate: 1e12/s}"))
case("attack-flood-inf", "attack-all", "flooding at inf/s",
     ("sub", r"type: flooding", "@@  - {type: flooding, at: 0s, rate: inf/s}"))
case("attack-replay-count-max", "attack-all", "replay count 2^32-1 at 1e9/s",
     ("sub", r"type: replay", "@@  - {type: replay, at: 1min, count: 4294967295, rate: 1e9/s}"))
case("attack-detection-neg-zero", "attack-all", "detection: -0s",
     ("sub", r"type: node_capture", "@@  - {type: node_capture, nodes: random, count: 1, at: 3min, detection: -0s}"))
case("attack-type-unknown", "attack-all", "an unknown attacker type",
     ("sub", r"type: tampering", "@@  - {type: rowhammer, at: 4min, count: 40}"))
case("attack-capture-all", "attack-all", "node_capture of all 16 nodes at 0s",
     ("sub", r"type: node_capture", "@@  - {type: node_capture, nodes: random, count: 16, at: 0s, detection: 1min}"))
case("attack-capture-dup-nodes", "attack-all", "node_capture listing a node twice",
     ("sub", r"type: node_capture", "@@  - {type: node_capture, nodes: [3, 3], at: 3min, detection: 1min}"))
case("attack-region-nan", "attack-all", "an eavesdropper region with nan corners",
     ("sub", r"type: eavesdropper", "@@  - {type: eavesdropper, region: [nanm, 0m, 10m, 10m]}"))
case("attack-insider-rate-1e300", "attack-all", "insider rate 1e300/s",
     ("sub", r"type: insider", "@@  - {type: insider, nodes: random, count: 1, at: 2min, rate: 1e300/s}"))
case("attack-links-missing", "attack-all", "an eavesdropper on a link to a missing node",
     ("sub", r"type: eavesdropper", "@@  - {type: eavesdropper, links: [[1, 999]]}"))

# ---- YAML-level tricks ----------------------------------------------------
case("yaml-anchor-on-key", "tree", "an anchor on a key, its alias used as a key",
     ("sub", r"^seed: 5", "@@&k seed: 5\n@@*k : 6"))
case("yaml-null-key", "tree", "a null key (~: 1)",
     ("after", r"^seed: 5", "@@~: 1"))
case("yaml-empty-key", "tree", "an empty key (\"\": 1)",
     ("after", r"^seed: 5", '@@"": 1'))
case("yaml-number-key", "tree", "a numeric key 1e300",
     ("after", r"^seed: 5", "@@1e300: 1"))
case("yaml-merge-top", "tree", "a top-level merge key bringing a second seed",
     ("after", r"^seed: 5", "@@<<: {seed: 6, duration: 1min}"))
case("yaml-tag-binary", "tree", "name: !!binary",
     ("sub", r"^name: tree", "@@name: !!binary dHJlZQ=="))
case("yaml-tag-verbatim", "tree", "seed: !<tag:yaml.org,2002:int> 5",
     ("sub", r"^seed: 5", "@@seed: !<tag:yaml.org,2002:int> 5"))
case("yaml-tag-str-int", "tree", "seed: !!str 5 (core-schema tag on a scalar: accepted)",
     ("sub", r"^seed: 5", "@@seed: !!str 5"))
case("yaml-tag-directive", "tree", "a %TAG directive and a tag through it",
     ("before", r"^name: tree", "%TAG !e! tag:evil.example,2026:\n---"),
     ("sub", r"^seed: 5", "@@seed: !e!x 5"))
case("yaml-version-directive", "tree", "%YAML 1.3",
     ("before", r"^name: tree", "@@%YAML 1.3\n---"))
case("yaml-doc-end-garbage", "tree", "text after a document end marker",
     ("add", "...\n@@this is not: yaml: at all ["))
case("yaml-block-name", "tree", "name as a literal block scalar (two lines)",
     ("sub", r"^name: tree", "@@name: |\n  tree\n  tree"))
case("yaml-folded-duration", "tree", "duration as a folded block scalar",
     ("sub", r"^duration: 30min", "@@duration: >-\n  30min"))
case("yaml-bool-on", "tree", "require_connected: on (YAML 1.1 boolean)",
     ("after", r"^  fanout: 2", "@@  require_connected: on"))
case("yaml-laughs-topics", "tree", "a 7-level laughs bomb beside topics (10^7 strings)",
     ("after", r"^  interval:", '  topics: &l0 [a, a, a, a, a, a, a, a, a, a]\n@@  x1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\n@@  x2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\n@@  x3: &l3 [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\n@@  x4: &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]\n@@  x5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]\n@@  x6: &l6 [*l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5]\n@@  x7: &l7 [*l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6]'))
case("yaml-long-key-4097", "tree", "a key of 4097 bytes",
     ("after", r"^seed: 5", "@@" + "k" * 4097 + ": 1"))
case("yaml-64-nested", "tree", "a topic list nested 63 levels (just under the depth limit)",
     ("after", r"^  interval:", "@@  topics: " + "[" * 63 + "\"a\"" + "]" * 63))
case("yaml-dup-key-case", "tree", "Seed and seed (keys differ only in case)",
     ("after", r"^seed: 5", "@@Seed: 6"))

# ---- encodings ------------------------------------------------------------
case("enc-utf16le-bom", "tree", "the whole file in UTF-16LE with a BOM, sources: -1",
     ("sub", r"^  sources: 127", "@@  sources: -1"), enc="utf16le")
case("enc-utf16be-nobom", "tree", "the whole file in UTF-16BE without a BOM",
     ("sub", r"^  sources: 127", "@@  sources: -1"), enc="utf16be-nobom")
case("enc-utf32le-bom", "tree", "the whole file in UTF-32LE with a BOM",
     ("sub", r"^  sources: 127", "@@  sources: -1"), enc="utf32le")
case("enc-overlong-slash", "default", "an overlong UTF-8 '/' (C0 AF) in a topic",
     ("sub", r"^  topics:", '@@  topics: ["home{{xc0af}}{id}"]'))
case("enc-surrogate-name", "default", "a UTF-8-encoded surrogate (ED A0 80) in the name",
     ("sub", r"^name: default", "@@name: def{{xeda080}}ault"))
case("enc-nul-in-comment", "default", "a NUL byte inside a comment",
     ("after", r"^seed: 42", "@@# comment {{x00}} here"))
case("enc-cr-only-error", "default", "CR-only line ends, an error on a later line",
     ("sub", r"^  sources: 40", "@@  sources: -1"), enc="cr")
case("enc-crlf-mixed-error", "default", "LF and CRLF alternating, an error on a later line",
     ("sub", r"^  sources: 40", "@@  sources: -1"), enc="crlf-mixed")
case("enc-nel-lines-error", "default", "NEL (U+0085) line ends, an error on a later line",
     ("sub", r"^  sources: 40", "@@  sources: -1"), enc="nel")
case("enc-ls-lines-error", "default", "LS (U+2028) line ends, an error on a later line",
     ("sub", r"^  sources: 40", "@@  sources: -1"), enc="ls")
case("enc-two-boms", "default", "two byte-order marks at the start",
     ("sub", r"^name: default", "name: default"), enc="bom2")
case("enc-bidi-name", "default", "U+202E in the name (must be escaped)",
     ("sub", r"^name: default", "@@name: \"def\u202eault\""))
case("enc-zero-width-key", "default", "a zero-width space inside a key",
     ("sub", r"^duration: 1h", "@@dura\u200btion: 1h"))
case("enc-c1-key", "default", "a C1 control (U+009B CSI) inside a key",
     ("sub", r"^warmup: 10min", "@@warm\u009bup: 10min"))
case("enc-esc-value", "default", "ESC sequences in a bad value via a YAML escape",
     ("sub", r"^  range: 100m", '@@  range: "\\e[2J\\e[31m100"'))
case("enc-del-char", "default", "a DEL byte in a plain value",
     ("sub", r"^  range: 100m", "@@  range: 100{{x7f}}m"))
case("enc-emoji-name", "default", "a 4-byte UTF-8 character in the name",
     ("sub", r"^name: default", "@@name: def\U0001f4a3ault"))
case("enc-latin1-file", "default", "a Latin-1 file (0xE9) in a topic",
     ("sub", r"^  topics:", '@@  topics: ["maison/{id}/t\u00e9"]'), enc="latin1")
case("enc-noncharacter", "default", "U+FFFE (a noncharacter) in the name",
     ("sub", r"^name: default", "@@name: \"def\ufffeault\""))

# ---- profiles (special files are made by tests/hostile.sh) -----------------
case("profile-dev-zero", "dini-seed001-s1", "profile: a symlink to /dev/zero",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/zero.yaml"))
case("profile-fifo", "dini-seed001-s1", "profile: a FIFO",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/fifo.yaml"))
case("profile-symlink-secret", "dini-seed001-s1", "profile: a symlink to a file outside the folder holding a secret",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/secret.yaml"))
case("profile-directory", "dini-seed001-s1", "profile: a directory",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/dir.yaml"))
case("profile-symlink-loop", "dini-seed001-s1", "profile: a symlink to itself",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/loop.yaml"))
case("profile-dangling", "dini-seed001-s1", "profile: a dangling symlink",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/dangling.yaml"))
case("profile-empty-name", "dini-seed001-s1", "profile: ''",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: ''"))
case("profile-dot", "dini-seed001-s1", "profile: '.' (the scenario's folder)",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: ."))
case("profile-self", "dini-seed001-s1", "profile: the scenario itself",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profile-self.yaml"), ("mark", r"^name:"))
case("profile-dots-path", "dini-seed001-s1", "profile: profiles/././rpi3.yaml (harmless dots)",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/././././rpi3.yaml"))
case("profile-nul-name", "dini-seed001-s1", "profile name with an escaped NUL",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", '@@  smart_object: "profiles/rpi3.yaml\\0../../etc/passwd"'))
case("profile-inline-nan", "dini-seed001-s1", "an inline profile with a nan cost",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: {seal: {fixed: nanus, per_byte: 15ns}}"))
case("profile-inline-huge", "dini-seed001-s1", "an inline profile costing 438000h per seal",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: {seal: {fixed: 438000h, per_byte: 438000h}}"))
case("profile-unknown-class", "dini-seed001-s1", "a profile for an unknown device class",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  toaster: profiles/rpi3.yaml"))
case("profile-proc", "dini-seed001-s1", "profile: a symlink to /proc/self/environ",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: profiles/environ.yaml"))
case("profile-backslash", "dini-seed001-s1", "profile: ..\\..\\etc\\passwd (backslashes)",
     ("sub", r"^  smart_object: profiles/rpi3.yaml", "@@  smart_object: '..\\..\\etc\\passwd'"))

# ---- sweep sections --------------------------------------------------------
case("sweep-value-nan", "tree", "a sweep over sizes with nan",
     ("add", "sweep:\n@@  traffic.size: [64B, nanB]"))
case("sweep-step-zero", "tree", "a sweep range with step 0s",
     ("add", "sweep:\n@@  traffic.start: {from: 1s, to: 2s, step: 0s}"))
case("sweep-step-negative", "tree", "a sweep range with a negative step",
     ("add", "sweep:\n@@  traffic.start: {from: 1s, to: 2s, step: -1s}"))
case("sweep-points-2p64", "tree", "a sweep range of 2^64 points",
     ("add", "sweep:\n@@  traffic.start: {from: 1s, to: 2s, points: 18446744073709551616}"))
case("sweep-from-inf", "tree", "a sweep range from -inf",
     ("add", "sweep:\n@@  traffic.start: {from: -infs, to: 2s, points: 3}"))
case("sweep-name-traversal", "tree", "a sweep over name with ../ (results dir escape)",
     ("add", "sweep:\n@@  name: [tree, ../../../tmp/hostile-escape]"))
case("sweep-deep-path", "tree", "a sweep path of 200 components",
     ("add", "sweep:\n@@  " + ".".join(["a"] * 200) + ": [1, 2]"))
case("sweep-index-2p32", "attack-all", "a sweep on attackers.4294967296.count",
     ("add", "sweep:\n@@  attackers.4294967296.count: [1, 2]"))
case("sweep-33-paths", "tree", "33 sweep paths (one past the limit)",
     ("add", "sweep:\n" + "\n".join("  x%d.y: [1]" % i for i in range(32)) + "\n@@  x32.y: [1]"), ("mark", r"^  x0\.y:"))
case("sweep-duration-beyond", "eg-grid", "a sweep over duration making revoke_at late",
     ("add", "sweep:\n@@  duration: [5min, 1min]"), ("mark", r"^  revoke_at:"))
case("sweep-seed-2p64", "tree", "a sweep over seeds including 2^64",
     ("add", "sweep:\n@@  seed: [1, 18446744073709551616]"))
case("sweep-alias-values", "tree", "sweep values through an alias of a mapping",
     ("sub", r"^  link: ", "  link: &m {latency: 3ms, bandwidth: 250kbps}"), ("add", "sweep:\n@@  seed: *m"))
