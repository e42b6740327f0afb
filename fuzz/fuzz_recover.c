/* recover_scan_buf on any bytes: never reads outside them, and what it
 * keeps is stable -- scanning the kept prefix again keeps all of it, with
 * the same record count and no reason to cut. */
#include <stdlib.h>
#include <string.h>

#include "storage/recover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct recover_scan a, b;
    recover_scan_buf(data, size, &a);
    if (a.good_end > size || (a.good_end < size && a.format != RECOVER_UNKNOWN && !a.why))
        abort();
    if (a.format == RECOVER_PCAP || a.format == RECOVER_PCAPNG) {
        recover_scan_buf(data, (size_t)a.good_end, &b);
        if (b.format != a.format || b.good_end != a.good_end || b.records != a.records || b.why)
            abort();
    } else if (a.good_end != 0 || a.records != 0) {
        abort();
    }
    return 0;
}
