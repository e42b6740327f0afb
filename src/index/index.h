/* src/index/index.h (issue 13): the packet index written beside
 * every capture file (NAME.pcap -> NAME.pcap.idx), and the queries it
 * answers. Pure C, no DPDK: linecap (writer thread), `linecap index`,
 * `linecap recover` and `linecap extract` all use it. The owner of
 * src/index (helper X1) may refine names/fields but must keep the shape and
 * tell the others; X2 and X3 code against this shape.
 *
 * Model: the capture file is cut into CHUNKS of consecutive records (a new
 * chunk starts when the current one reaches IDX_CHUNK_BYTES of file bytes,
 * at a record boundary). For every chunk the index keeps its file offset,
 * its record count and its first/min/max timestamps; for every KEY seen in
 * the file (an IPv4/IPv6 address, an L4 protocol, a TCP/UDP/SCTP port, a
 * VLAN ID), the set of chunks whose records carry it (posting list, delta
 * varints or a bitmap, whichever is smaller). A query answers a set of
 * chunks that MAY hold matching records (a superset); the caller reads those
 * chunks and runs the whole libpcap filter on each record, so the answer is
 * exact. Frames whose keys cannot be parsed are in no key list: a query that
 * asks for a key can still skip them only when the filter could never match
 * them (see idx_plan: unparsed frames are tracked per chunk as "opaque", and a
 * chunk with opaque records is always a candidate unless the plan is
 * time-only or says otherwise). */
#ifndef LC_INDEX_H
#define LC_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDX_SUFFIX ".idx"
#define IDX_VERSION 2
#define IDX_MAGIC "LCIDX\r\n\x1a"     /* the image's first 8 bytes */
#define IDX_FORMAT_PCAP 1               /* struct idx_ident.format */
#define IDX_FORMAT_PCAPNG 2

/* The default chunk: a new chunk starts at the first record boundary at or
 * past this many file bytes. 16 KiB by measurement (bench/idxbuild.c,
 * docs/INDEX.md; 10,000 flows): the index is 0.45 % of the pcap bytes on the
 * ~965 B mix (0.76 % for 40 MB files) and 2.9 % at 64 B (3.2 %), and a
 * one-host query reads 0.17 % of a ~965 B file's bytes. */
#define IDX_CHUNK_BYTES (16u << 10)
#define IDX_CHUNK_MIN 512u
#define IDX_CHUNK_MAX (64u << 20)

enum idx_key_kind {
    IDX_K_IPV4 = 1,     /* 4 bytes, network order; src or dst */
    IDX_K_IPV6,         /* 16 bytes; src or dst (first header) */
    IDX_K_PROTO,        /* 1 byte: IP protocol / IPv6 next header (first) */
    IDX_K_PORT,         /* 2 bytes, network order: TCP, UDP or SCTP src or dst */
    IDX_K_VLAN,         /* 2 bytes: VLAN ID (12 bits), outer or inner tag */
    IDX_K_MAX
};

struct idx_key {
    uint8_t kind;       /* enum idx_key_kind */
    uint8_t len;        /* bytes of v used */
    uint8_t v[16];
};

/* ---- building (one capture file, records in file order) ---- */

struct idx_builder;

/* A builder with the default chunk size (IDX_CHUNK_BYTES). Returns NULL
 * on ENOMEM. */
struct idx_builder *idx_builder_new(void);
/* Another chunk size, IDX_CHUNK_MIN..IDX_CHUNK_MAX bytes, before the first
 * add (or after a reset). Returns 0 or -EINVAL. */
int idx_builder_set_chunk_bytes(struct idx_builder *b, uint32_t bytes);

/* One record. off: file offset of the record's first byte (its header);
 * rec_len: the record's length in the file (header + data + padding);
 * ts_ns: its timestamp (ns since 1970); frame/caplen: the bytes captured;
 * linktype: LINKTYPE_ETHERNET (1) or LINKTYPE_RAW (101) parse keys, others
 * are opaque. Keys: Ethernet, 802.1Q/802.1ad (QinQ: outer and inner),
 * IPv4, IPv6 (first header), TCP, UDP, SCTP, ICMP, ARP. O(frame header)
 * work, no allocation in steady state (key updates are queued a few
 * records behind: idx_builder_finish applies the rest). Returns 0, -EINVAL
 * (rec_len 0, or off before the end of the previous record: not added), or
 * -ENOMEM (sticky: the builder is unusable until reset). */
int idx_builder_add(struct idx_builder *b, uint64_t off, uint32_t rec_len, uint64_t ts_ns,
                    const uint8_t *frame, uint32_t caplen, uint32_t linktype);

/* The whole index file image for a capture file whose indexed records end
 * at data_end (the first byte after the last record added) and whose size
 * and identity are given (so a reader can tell a stale index: see
 * struct idx_ident). *out is malloc'd. Returns 0 or -ENOMEM. The builder
 * can be reset and reused after this (idx_builder_reset). */
struct idx_ident {
    uint64_t file_size;         /* capture file size the index describes */
    uint64_t data_end;          /* end of the last indexed record */
    uint32_t format;            /* 1 pcap, 2 pcapng */
    uint8_t head[64];           /* the capture file's first 64 bytes (or fewer: zero padded) */
};
int idx_builder_finish(struct idx_builder *b, const struct idx_ident *id, uint8_t **out,
                       size_t *outlen);
void idx_builder_reset(struct idx_builder *b);
/* The flow cache (on by default) only saves work: the image is the same
 * without it. For tests and benchmarks. */
void idx_builder_set_flow_cache(struct idx_builder *b, bool on);
void idx_builder_free(struct idx_builder *b);

/* Build the index of an existing pcap or pcapng file (any writer: tcpdump,
 * dumpcap, linecap) into memory. Returns 0, or a negative errno / -EINVAL
 * (not pcap/pcapng) with one line in err. */
int idx_build_fd(int fd, uint8_t **out, size_t *outlen, char *err, size_t errlen);
/* The same with chunks of chunk_bytes (IDX_CHUNK_MIN..IDX_CHUNK_MAX). */
int idx_build_fd_chunk(int fd, uint32_t chunk_bytes, uint8_t **out, size_t *outlen, char *err,
                       size_t errlen);

/* ---- reading ---- */

struct idx_chunk {
    uint64_t off;               /* file offset of its first record */
    uint64_t end;               /* offset after its last record */
    uint64_t ts_first, ts_min, ts_max;
    uint32_t records;
    uint32_t opaque;            /* records whose keys could not be parsed */
};

struct idx {
    const uint8_t *buf;         /* the validated image (not owned); NULL: idx_open_fd */
    uint64_t len;               /* the image's length */
    uint64_t open_read;         /* idx_open_fd: bytes its open read (also set when it fails) */
    struct idx_ident ident;
    uint64_t ts_min, ts_max, records;
    uint64_t ts_first, ts_last; /* of the first and last record in file order */
    uint32_t chunk_bytes;       /* the builder's chunk size */
    uint32_t nchunks;
    const struct idx_chunk *chunks;     /* decoded table (owned: idx_close) */
    /* private: key directory */
    void *priv;
};

/* Validate a whole image in memory (magic, version, the head's, the chunk
 * table's and every key block's checksum, every offset and length in
 * bounds) and decode the chunk table. Never trusts the image: fuzzed.
 * Returns 0 or -EINVAL/-ENOMEM with one line in err. buf must outlive x. */
int idx_open(struct idx *x, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* The same from an index file of file_len bytes open on fd, reading only
 * its head and chunk table (validated as idx_open does); a key block is
 * read (pread) when a lookup first needs it, its checksum and structure
 * checked then, and kept until idx_close. A block that cannot be read or
 * fails its checks makes that lookup answer every chunk (a superset) and
 * counts in idx_lazy_errors. fd stays the caller's, open until idx_close;
 * lookups on such an x are not for concurrent threads. Returns 0, -EINVAL
 * (not a valid index, incl. another version), -EIO / -errno (read error),
 * or -ENOMEM, with one line in err. */
int idx_open_fd(struct idx *x, int fd, uint64_t file_len, char *err, size_t errlen);
void idx_close(struct idx *x);
/* Index bytes read from the file so far, by the open and by lookups
 * (idx_open_fd; 0 for idx_open). After a failed idx_open_fd: its open's. */
uint64_t idx_bytes_read(const struct idx *x);
/* Key blocks found unreadable, damaged or malformed by lookups so far. */
uint32_t idx_lazy_errors(const struct idx *x);
/* Announce (posix_fadvise WILLNEED) the key blocks a lookup of [lo, hi]
 * will read, so reads of many indexes queue together. No-op for idx_open. */
void idx_prefetch(const struct idx *x, const struct idx_key *lo, const struct idx_key *hi);

/* Whether x describes the capture file whose size and first bytes are
 * given (else stale: rebuild or scan). file->format is compared unless 0;
 * file->data_end is not compared. */
bool idx_matches(const struct idx *x, const struct idx_ident *file);

/* Chunk sets are bitmaps of nchunks bits (uint64_t words). */
size_t idx_set_words(const struct idx *x);
/* Set out to the chunks holding key k (none when k's kind or len is
 * unknown). */
void idx_lookup(const struct idx *x, const struct idx_key *k, uint64_t *out);
/* Set out to the chunks holding any key of lo's kind whose value lies in
 * [lo, hi] (values compared as big-endian byte strings: a net, a port range). */
void idx_lookup_range(const struct idx *x, const struct idx_key *lo, const struct idx_key *hi,
                      uint64_t *out);
/* Chunks overlapping [from_ns, to_ns] (inclusive). */
void idx_time(const struct idx *x, uint64_t from_ns, uint64_t to_ns, uint64_t *out);
/* Chunks with opaque records. */
void idx_opaque(const struct idx *x, uint64_t *out);

/* ---- query plans (libpcap expression -> chunk sets) ---- */

/* A plan is a small tree over index primitives built from a libpcap
 * filter expression by idx_plan_compile: host/src host/dst host (v4, v6
 * literals), net (v4/v6 prefix: a range of keys), port/src/dst port,
 * portrange, tcp/udp/sctp/icmp/icmp6/proto N/ip proto N/ip6 proto N,
 * vlan N, and/or/not/&&/||/! and parentheses, with libpcap's equal
 * precedence of and/or and its implied qualifiers ("port 80 or 443").
 * Any other primitive is ALL (no pruning), and so is "not X" (a chunk with
 * X can hold records without X) and every primitive after the first
 * vlan/mpls/pppoes/geneve/vxlan (libpcap moves its offsets there); an
 * expression it cannot follow is ALL as a whole. The plan is a superset of
 * what libpcap selects, never less. An expression libpcap rejects is not
 * the plan's concern: the caller compiles it with libpcap first (exit 65).
 * Returns 0 or -ENOMEM (err set). */
struct idx_plan;
int idx_plan_compile(const char *expr, struct idx_plan **out, char *err, size_t errlen);
void idx_plan_free(struct idx_plan *p);
/* Candidate chunks of x for plan p (NULL plan: all), ORed with the chunks
 * holding opaque records (unless the plan is all anyway). Never fails: out
 * of memory gives all chunks. */
void idx_plan_eval(const struct idx_plan *p, const struct idx *x, uint64_t *out);
/* Whether p prunes nothing (every chunk is a candidate). */
bool idx_plan_all(const struct idx_plan *p);
/* idx_prefetch for every key range p's evaluation on x will look up. */
void idx_plan_prefetch(const struct idx_plan *p, const struct idx *x);

#endif
