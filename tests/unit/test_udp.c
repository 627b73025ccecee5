/* UDP: header, checksum. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"
#include "pktbuf.h"
#include "udp.h"
#include "wire.h"

static void test_wire_build_then_parse_roundtrip(void **state)
{
	long live = ts_pkt_live();
	uint8_t b[8 + 5] = {0};
	struct ts_udp_hdr h;

	memcpy(b + 8, "hello", 5);
	ts_udp_build(b, sizeof(b), TS_IP4(198, 18, 0, 2), TS_IP4(198, 18, 0, 1), 40000, 7);
	assert_int_equal(ts_udp_parse(b, sizeof(b), &h), 0);
	assert_int_equal(h.sport, 40000);
	assert_int_equal(h.dport, 7);
	assert_int_equal(h.len, 13);
	assert_int_equal(ts_csum_fold(ts_csum_add(ts_csum_pseudo(TS_IP4(198, 18, 0, 2),
								 TS_IP4(198, 18, 0, 1), 17, 13),
						  b, sizeof(b), 0)),
			 0);
	assert_int_equal(ts_udp_parse(b, 7, &h), -22);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_build_then_parse_roundtrip),
	};

	return cmocka_run_group_tests_name("udp", tests, NULL, NULL);
}
