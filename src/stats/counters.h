/* Every counter linecap keeps, declared once. The lists generate the struct
 * fields' indices, the JSON keys, the exit summary and the --help text, so a
 * new drop reason cannot be half-added.
 *
 * The accounting identity, per queue, exact after a clean stop:
 *   received = filtered + counted_only + written + dropped_no_block + lost_disk
 *              + unwritten_abort
 * and per port:  NIC offered = NIC ipackets + imissed + ierrors + rx_nombuf
 *                             + kernel_drops (net_af_packet: the socket's ring). */
#ifndef LC_COUNTERS_H
#define LC_COUNTERS_H

#include <stdint.h>

/* Per receive queue; owner: the receive lcore of that queue. */
#define LC_RX_COUNTERS(X)                                                              \
    X(received, "packets taken from the queue by the receive loop")                    \
    X(received_bytes, "wire bytes of those packets")                                   \
    X(filtered, "packets rejected by the capture filter (not drops)")                  \
    X(dropped_no_block, "packets dropped: no free block (writer or disk behind)")      \
    X(counted_only, "packets counted and freed unstored (--count-only)")               \
    X(after_limit, "packets received after a -c/-a limit was reached, not kept")          \
    X(short_frames, "packets whose buffers held fewer bytes than their length: written "   \
                    "with the bytes present as caplen, the length as orig len (not drops)")

/* Per receive queue; owner: the writer thread. */
#define LC_WR_COUNTERS(X)                                                              \
    X(written, "packets written to files")                                             \
    X(written_bytes, "bytes of records written to files (headers included)")           \
    X(lost_disk, "packets lost to a disk error (file ended at a record boundary)")     \
    X(unwritten_abort, "packets not written because of a forced exit (second signal)")

#define LC_QUEUE_COUNTERS(X) LC_RX_COUNTERS(X) LC_WR_COUNTERS(X)

/* Per port, read from the device. */
#define LC_PORT_COUNTERS(X)                                                            \
    X(nic_packets, "packets the device delivered")                                     \
    X(nic_bytes, "bytes the device delivered")                                         \
    X(nic_missed, "packets the device dropped: receive queue full (imissed)")          \
    X(nic_errors, "erroneous packets the device dropped (ierrors)")                    \
    X(mbuf_failures, "mbuf allocation failures in the driver (rx_nombuf)")             \
    X(kernel_drops, "packets the kernel dropped: AF_PACKET socket ring full (net_af_packet)")

#define LC_ENUM_ITEM(name, help) QC_##name,
enum { LC_QUEUE_COUNTERS(LC_ENUM_ITEM) QC_MAX };
#undef LC_ENUM_ITEM
#define LC_ENUM_ITEM(name, help) PC_##name,
enum { LC_PORT_COUNTERS(LC_ENUM_ITEM) PC_MAX };
#undef LC_ENUM_ITEM

extern const char *const lc_queue_counter_names[QC_MAX];
extern const char *const lc_queue_counter_help[QC_MAX];
extern const char *const lc_port_counter_names[PC_MAX];
extern const char *const lc_port_counter_help[PC_MAX];

#endif
