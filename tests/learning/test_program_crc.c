/* test_program_crc.c — CRC-32C against published check values and TFRecord's mask. */
#include <string.h>

#include "fedc/learning_program.h"
#include "harness/harness.h"

/* Check values: the CRC catalogue's "123456789" for CRC-32/ISCSI, and the test patterns of
 * RFC 3720 (iSCSI), appendix B.4. */
TEST(crc32c_matches_published_check_values) {
    ASSERT_EQ(fedc_crc32c(0, "123456789", 9), 0xE3069283u);
    ASSERT_EQ(fedc_crc32c(0, "", 0), 0u);
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    ASSERT_EQ(fedc_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof buf);
    ASSERT_EQ(fedc_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    ASSERT_EQ(fedc_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(31 - i);
    ASSERT_EQ(fedc_crc32c(0, buf, 32), 0x113FDB5Cu);
}

TEST(crc32c_extends_across_pieces) {
    const char *text = "federated learning in C";
    size_t n = strlen(text);
    uint32_t whole = fedc_crc32c(0, text, n);
    for (size_t cut = 0; cut <= n; cut++)
        ASSERT_EQ(fedc_crc32c(fedc_crc32c(0, text, cut), text + cut, n - cut), whole);
}

TEST(mask_is_tfrecords_rotation_plus_constant) {
    ASSERT_EQ(fedc_crc32c_mask(0), 0xa282ead8u);
    /* 0x00008000 rotated right by 15 is 1 */
    ASSERT_EQ(fedc_crc32c_mask(0x00008000u), 0xa282ead9u);
    uint32_t crc = fedc_crc32c(0, "123456789", 9);
    ASSERT_EQ(fedc_crc32c_mask(crc), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    for (uint32_t v = 1; v < 0xF0000000u; v = v * 3 + 7)
        ASSERT_EQ(fedc_crc32c_unmask(fedc_crc32c_mask(v)), v);
}
