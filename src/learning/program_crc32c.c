/* program_crc32c.c — CRC-32C (Castagnoli), the checksum of TFRecord framing and of fedc
 * checkpoints, with TFRecord's mask. A byte-at-a-time table: the data it covers (a round's
 * metrics, a checkpoint) is small next to the work that produced it.
 *
 * The polynomial, its reflected form 0x82F63B78 and the mask are TensorFlow's
 * (tensorflow/core/lib/hash/crc32c.h, and the "TFRecords format details" of the TensorFlow
 * documentation). Must not depend on anything but the C library.
 */
#include <pthread.h>
#include <stdint.h>

#include "learning/program_int.h"

#define CRC32C_REFLECTED_POLY 0x82F63B78u
#define CRC32C_MASK_DELTA 0xa282ead8u

static uint32_t g_table[256];
static pthread_once_t g_table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_REFLECTED_POLY : c >> 1;
        g_table[i] = c;
    }
}

uint32_t fedc_crc32c(uint32_t crc, const void *data, size_t n) {
    pthread_once(&g_table_once, build_table);
    const uint8_t *p = data;
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++)
        c = g_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

/* Rotating before storing keeps a CRC of data that itself holds CRCs from being trivially
 * related to them (the reason TensorFlow gives for the mask). */
uint32_t fedc_crc32c_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + CRC32C_MASK_DELTA; }

uint32_t fedc_crc32c_unmask(uint32_t masked) {
    uint32_t rot = masked - CRC32C_MASK_DELTA;
    return (rot >> 17) | (rot << 15);
}
