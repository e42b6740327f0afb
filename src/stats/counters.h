/* Every counter linecap keeps, declared once. The lists generate the struct
 * fields' indices, the JSON keys, the exit summary and the --help text, so a
 * new drop reason cannot be half-added.
 *
 * Each counter has a class:
 *   DROP    a packet that reached the device and will not be in a file
 *           although it was meant to be: the sum of every DROP counter is
 *           "drops" in the totals of --stats-json;
 *   COUNT   not a drop: a packet's other fates (filtered, counted_only,
 *           written, after_limit), a packet count or a byte count;
 *   DEVICE  what the device reports that is not a drop (nic_packets).
 *
 * The accounting identity, per queue, exact after a clean stop:
 *   received = filtered + counted_only + written + (queue DROP counters:
 *              dropped_no_block + lost_disk + unwritten_abort)
 * and per port:  NIC offered = NIC ipackets + (port DROP counters: imissed
 *                + ierrors + rx_nombuf + kernel_drops, the last for
 *                net_af_packet: the socket's ring).
 * So with no filter, no --count-only and no -c/-a limit reached, what was
 * offered = written + totals.drops exactly. */
#ifndef LC_COUNTERS_H
#define LC_COUNTERS_H

#include <stdint.h>

/* Per receive queue; owner: the receive lcore of that queue. */
#define LC_RX_COUNTERS(X)                                                              \
    X(received, COUNT, "packets taken from the queue by the receive loop")             \
    X(received_bytes, COUNT, "wire bytes of those packets")                            \
    X(filtered, COUNT, "packets rejected by the capture filter (not drops)")           \
    X(dropped_no_block, DROP, "packets dropped: no free block (writer or disk behind)") \
    X(counted_only, COUNT, "packets counted and freed unstored (--count-only)")        \
    X(after_limit, COUNT, "packets received after a -c/-a limit was reached, not kept")   \
    X(short_frames, COUNT, "packets whose buffers held fewer bytes than their length: written " \
                           "with the bytes present as caplen, the length as orig len (not drops)")

/* Per receive queue; owner: the writer thread. */
#define LC_WR_COUNTERS(X)                                                              \
    X(written, COUNT, "packets written to files")                                      \
    X(written_bytes, COUNT, "bytes of records written to files (headers included)")    \
    X(lost_disk, DROP, "packets lost to a disk error (file ended at a record boundary)") \
    X(unwritten_abort, DROP, "packets not written because of a forced exit (second signal)")

#define LC_QUEUE_COUNTERS(X) LC_RX_COUNTERS(X) LC_WR_COUNTERS(X)

/* Per port, read from the device. */
#define LC_PORT_COUNTERS(X)                                                            \
    X(nic_packets, DEVICE, "packets the device delivered")                             \
    X(nic_bytes, DEVICE, "bytes the device delivered")                                 \
    X(nic_missed, DROP, "packets the device dropped: receive queue full (imissed)")    \
    X(nic_errors, DROP, "erroneous packets the device dropped (ierrors)")              \
    X(mbuf_failures, DROP, "mbuf allocation failures in the driver (rx_nombuf)")       \
    X(kernel_drops, DROP, "packets the kernel dropped: AF_PACKET socket ring full (net_af_packet)")

/* Per run; owner: the post-rotation hand-off (-z, src/storage/hook.c).
 * Files, not packets: none of these is a drop. */
#define LC_HOOK_COUNTERS(X)                                                            \
    X(hook_started, COUNT, "post-rotate (-z) commands started")                        \
    X(hook_succeeded, COUNT, "post-rotate commands that exited 0")                     \
    X(hook_failed, COUNT, "post-rotate commands that exited non-zero, were killed or "  \
                          "could not start (one line each)")                           \
    X(hook_queue_full, COUNT, "closed files not handed to -z: its queue was full (the " \
                              "file stays on disk, listed as queue_full)")             \
    X(hook_not_run, COUNT, "closed files queued for -z whose command never ran: the exit " \
                           "wait ended, or the file was deleted for room first")

enum lc_counter_class { LC_CNT_COUNT, LC_CNT_DROP, LC_CNT_DEVICE };

#define LC_ENUM_ITEM(name, cls, help) QC_##name,
enum { LC_QUEUE_COUNTERS(LC_ENUM_ITEM) QC_MAX };
#undef LC_ENUM_ITEM
#define LC_ENUM_ITEM(name, cls, help) PC_##name,
enum { LC_PORT_COUNTERS(LC_ENUM_ITEM) PC_MAX };
#undef LC_ENUM_ITEM
#define LC_ENUM_ITEM(name, cls, help) HC_##name,
enum { LC_HOOK_COUNTERS(LC_ENUM_ITEM) HC_MAX };
#undef LC_ENUM_ITEM

extern const char *const lc_queue_counter_names[QC_MAX];
extern const char *const lc_queue_counter_help[QC_MAX];
extern const enum lc_counter_class lc_queue_counter_class[QC_MAX];
extern const char *const lc_port_counter_names[PC_MAX];
extern const char *const lc_port_counter_help[PC_MAX];
extern const enum lc_counter_class lc_port_counter_class[PC_MAX];
extern const char *const lc_hook_counter_names[HC_MAX];
extern const char *const lc_hook_counter_help[HC_MAX];

/* The sum of the DROP counters of a queue's (or the summed queues') values
 * v[QC_MAX], and of a port's v[PC_MAX]. */
uint64_t lc_queue_drops(const uint64_t *v);
uint64_t lc_port_drops(const uint64_t *v);

#endif
