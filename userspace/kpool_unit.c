// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_unit - unit tests of the parts of the tools that need no device:
 * number parsing, errno names, JSON escaping and layout, and kpoolctl's
 * session word splitting, hex parsing, handle lists and map shading.
 * KTAP output; exit 0 iff all passed. Run by `make test`.
 *
 * kpoolctl.c is included so that its static functions can be tested; its
 * main() is renamed out of the way.
 */
#define main kpoolctl_main
#include "kpoolctl.c"
#undef main

/* Run @fn(@f) into a memory stream and compare with @want. */
static bool output_is(void (*fn)(FILE *f, const void *arg), const void *arg,
		      const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	bool ok;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return false;
	fn(f, arg);
	fclose(f);
	ok = !strcmp(buf, want);
	if (!ok)
		ktap_diag("got '%s', want '%s'", buf, want);
	free(buf);
	return ok;
}

/* ---- number parsing ------------------------------------------------------ */

static bool t_parse_u64(void)
{
	static const struct {
		const char *s;
		u64 v;
	} good[] = {
		{ "0", 0 }, { "42", 42 }, { "0x10", 16 }, { "0XfF", 255 },
		{ "4K", 4096 }, { "4k", 4096 }, { "1M", 1 << 20 },
		{ "2G", 2ULL << 30 }, { "0x1K", 1024 }, { "007", 7 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ULL << 30 },
	};
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1x", "0x", "4KB", "K", "0xG",
		"18446744073709551616", "17179869184G", "1.5", "1e3",
	};
	bool ok = true;
	size_t i;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		if (kp_parse_u64(good[i].s, &v) || v != good[i].v) {
			ktap_diag("'%s' not parsed as %llu", good[i].s, good[i].v);
			ok = false;
		}
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!kp_parse_u64(bad[i], &v)) {
			ktap_diag("'%s' accepted as %llu", bad[i], v);
			ok = false;
		}
	}
	return ok && kp_parse_u64(NULL, &v) == -EINVAL;
}

static bool t_parse_u32(void)
{
	u32 v = 0;

	return !kp_parse_u32("4294967295", UINT32_MAX, &v) && v == UINT32_MAX &&
	       kp_parse_u32("4294967296", UINT32_MAX, &v) == -EINVAL &&
	       !kp_parse_u32("1000000", 1000000, &v) && v == 1000000 &&
	       kp_parse_u32("1000001", 1000000, &v) == -EINVAL &&
	       !kp_parse_u32("4K", 4096, &v) && v == 4096;
}

static bool t_parse_seconds(void)
{
	static const char *const bad[] = { "", "-1", "abc", "nan", "inf", "1s", "1e7" };
	double d = -1;
	bool ok = !kp_parse_seconds("0.5", &d) && d == 0.5 &&
		  !kp_parse_seconds("2", &d) && d == 2.0 &&
		  !kp_parse_seconds("0", &d) && d == 0.0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ok &= kp_parse_seconds(bad[i], &d) == -EINVAL;
	return ok;
}

static bool t_errname(void)
{
	return !strcmp(kp_errname(EINVAL), "EINVAL") &&
	       !strcmp(kp_errname(-ENOTTY), "ENOTTY") &&
	       !strcmp(kp_errname(-E2BIG), "E2BIG") &&
	       !strcmp(kp_errname(0), "OK") &&
	       !strcmp(kp_errname(9999), "E?9999") &&
	       !strcmp(kp_strerror(-ENOENT), strerror(ENOENT));
}

/* ---- JSON --------------------------------------------------------------- */

struct escape_case {
	const char *in;
	size_t n;
	const char *want;
};

static void write_escaped(FILE *f, const void *arg)
{
	const struct escape_case *c = arg;

	json_write_escaped(f, c->in, c->n);
}

static bool t_json_escape(void)
{
	static const struct escape_case cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "q\"b\\s/", 6, "\"q\\\"b\\\\s/\"" },
		{ "\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"" },
		{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		/* invalid UTF-8: stray continuation, overlong, surrogate, cut */
		{ "a\x80z", 3, "\"a\\ufffdz\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xf5\x80\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		/* at most n bytes, and never past a NUL */
		{ "abcdef", 3, "\"abc\"" },
		{ "ab\0cd", 5, "\"ab\"" },
	};
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		ok &= output_is(write_escaped, &cases[i], cases[i].want);
	return ok;
}

static void write_document(FILE *f, const void *arg)
{
	struct json j;

	json_init(&j, f, *(const bool *)arg);
	json_object_begin(&j, NULL);
	json_u64(&j, "n", 18446744073709551615ULL);
	json_object_begin(&j, "o");
	json_i64(&j, "i", -5);
	json_string(&j, "s", "x\"y");
	json_object_begin(&j, "p");
	json_array_begin(&j, "a");
	json_bool(&j, NULL, true);
	json_null(&j, NULL);
	json_double(&j, NULL, 0.5);
	json_double(&j, NULL, 1.0 / 0.0);
	json_array_end(&j);
	json_array_begin(&j, "e");
	json_array_end(&j);
	json_object_end(&j);
	json_object_end(&j);
	json_object_end(&j);
}

static bool t_json_document(void)
{
	static const bool compact = false, pretty = true;

	return output_is(write_document, &compact,
			 "{\"n\":18446744073709551615,\"o\":{"
			 "\"i\":-5,\"s\":\"x\\\"y\",\"p\":{"
			 "\"a\":[true,null,0.5,null],\"e\":[]}}}\n") &&
	       output_is(write_document, &pretty,
			 "{\n"
			 "  \"n\": 18446744073709551615,\n"
			 "  \"o\": {\n"
			 "    \"i\": -5,\n"
			 "    \"s\": \"x\\\"y\",\n"
			 "    \"p\": {\n"
			 "      \"a\": [\n"
			 "        true,\n"
			 "        null,\n"
			 "        0.5,\n"
			 "        null\n"
			 "      ],\n"
			 "      \"e\": []\n"
			 "    }\n"
			 "  }\n"
			 "}\n");
}

/* ---- kpoolctl's helpers --------------------------------------------------- */

/* split_words() of @line must give the words of @want, "|"-separated. */
static bool split_is(const char *line, int want_n, const char *want)
{
	char buf[256], joined[256] = "", *words[8];
	int n, i;

	snprintf(buf, sizeof(buf), "%s", line);
	n = split_words(buf, words, 8);
	for (i = 0; i < n; i++) {
		if (i)
			strcat(joined, "|");
		strcat(joined, words[i]);
	}
	if (n == want_n && (n < 0 || !strcmp(joined, want)))
		return true;
	ktap_diag("split '%s': %d words '%s', want %d '%s'", line, n, joined,
		  want_n, want);
	return false;
}

static bool t_split_words(void)
{
	return split_is("a b  c", 3, "a|b|c") &&
	       split_is("  \tlead", 1, "lead") &&
	       split_is("write p 1 0 \"hello world\"", 5, "write|p|1|0|hello world") &&
	       split_is("'it''s' x", 2, "its|x") &&
	       split_is("'a \"b\"'", 1, "a \"b\"") &&
	       split_is("\"x\\\"y\\\\z\"", 1, "x\"y\\z") &&
	       split_is("\"a\\nb\"", 1, "a\\nb") &&
	       split_is("a\\ b c", 2, "a b|c") &&
	       split_is("a # comment", 1, "a") &&
	       split_is("# all comment", 0, "") &&
	       split_is("a#b", 1, "a#b") &&
	       split_is("\"\"", 1, "") &&
	       split_is("\"open", -1, "") &&
	       split_is("'open", -1, "") &&
	       split_is("1 2 3 4 5 6 7 8 9", -1, "") &&
	       split_is("", 0, "");
}

static bool hex_is(const char *s, long want_len, const char *want)
{
	unsigned char buf[64];
	long len = parse_hex(s, buf);

	if (len == want_len && (len < 0 || !memcmp(buf, want, len)))
		return true;
	ktap_diag("hex '%s': length %ld, want %ld", s, len, want_len);
	return false;
}

static bool t_parse_hex(void)
{
	return hex_is("68656c6c6f", 5, "hello") && hex_is("0x4142", 2, "AB") &&
	       hex_is("41 42:43", 3, "ABC") && hex_is("", 0, "") &&
	       hex_is("DeAd", 2, "\xde\xad") && hex_is("4", -1, "") &&
	       hex_is("zz", -1, "") && hex_is("4 1", -1, "");
}

struct handles_case {
	const u32 *h;
	u32 n;
	size_t first_ref;
};

static void write_handles(FILE *f, const void *arg)
{
	const struct handles_case *c = arg;

	print_handles(f, c->h, c->n, c->first_ref);
}

static bool t_print_handles(void)
{
	static const u32 runs[] = { 1, 2, 3, 7, 9, 10, 12 };
	static const u32 one[] = { 42 };
	u32 many[40], i;
	const struct handles_case c1 = { runs, ARRAY_SIZE(runs), 0 };
	const struct handles_case c2 = { one, 1, 0 };
	const struct handles_case c3 = { many, ARRAY_SIZE(many), 0 };
	const struct handles_case r1 = { runs, ARRAY_SIZE(runs), 1 };
	const struct handles_case r2 = { one, 1, 5 };
	const struct handles_case r3 = { many, 9, 3 };

	for (i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = 2 * i;
	return output_is(write_handles, &c1, "  1..3 7 9..10 12\n") &&
	       output_is(write_handles, &c2, "  42\n") &&
	       output_is(write_handles, &c3,
			 "  0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30\n"
			 "  32 34 36 38 40 42 44 46 48 50 52 54 56 58 60 62\n"
			 "  64 66 68 70 72 74 76 78\n") &&
	       output_is(write_handles, &r1,
			 "  @1..@3 = 1..3, @4 = 7, @5..@6 = 9..10, @7 = 12\n") &&
	       output_is(write_handles, &r2, "  @5 = 42\n") &&
	       output_is(write_handles, &r3,
			 "  @3 = 0, @4 = 2, @5 = 4, @6 = 6,\n"
			 "  @7 = 8, @8 = 10, @9 = 12, @10 = 14,\n"
			 "  @11 = 16\n");
}

/* ---- kpoolctl: what a session holds, in its messages ---------------------- */

/* A session that allocated @n handles of pool 4 from 1048576 up, @1..@n. */
static void session_of(struct ctl *c, struct held *held, size_t n)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->in_session = true;
	c->held = held;
	c->nr_held = n;
	for (i = 0; i < n; i++)
		held[i] = (struct held){ 4, 1048576 + i, false, true };
}

/* explain_handle() of @handle in pool 4 says @want. */
static bool explains(const struct ctl *c, u32 handle, const char *want)
{
	const struct pool_ref demo = { .id = 4, .label = "pool 4 (demo)" };
	char buf[256];

	explain_handle(c, &demo, handle, buf, sizeof(buf));
	if (!strcmp(buf, want))
		return true;
	ktap_diag("handle %u: got '%s', want '%s'", handle, buf, want);
	return false;
}

static bool t_explain_handle(void)
{
	struct held held[100];
	struct ctl c;
	bool ok = true;

	session_of(&c, held, 100);
	/* the number @1 stands for, and a handle never given */
	ok &= explains(&c, 1,
		       "this file holds @1..@100 = 1048576..1048675: did you mean @1 = 1048576?");
	ok &= explains(&c, 5000000, "this file holds @1..@100 = 1048576..1048675");
	/* holdings in several runs: the first two, then "..." */
	held[50].live = false;
	held[60].live = false;
	ok &= explains(&c, 7,
		       "this file holds 98 blocks: @1..@50 = 1048576..1048625, @52..@60 = 1048627..1048635, ...: did you mean @7 = 1048582?");
	ok &= explains(&c, 1048626, "@51 = 1048626 was freed");
	/* a block of another pool, of a set, and none of this pool's */
	held[70].pool_id = 5;
	ok &= explains(&c, 1048646, "@71 = 1048646 is a block of pool 5");
	held[70].set = true;
	ok &= explains(&c, 1048646, "@71 = 1048646 is a block of set 5");
	session_of(&c, held, 1);
	held[0].pool_id = 9;
	ok &= explains(&c, 1, "this file holds none of its blocks");
	/* outside a session nothing is known */
	c.in_session = false;
	ok &= explains(&c, 1, "");
	return ok;
}

static bool t_fill_level(void)
{
	return fill_level(0, 16) == 0 && fill_level(1, 16) == 1 &&
	       fill_level(5, 16) == 1 && fill_level(6, 16) == 2 &&
	       fill_level(11, 16) == 3 && fill_level(15, 16) == 3 &&
	       fill_level(16, 16) == 4 && fill_level(17, 16) == 4 &&
	       fill_level(1, 1) == 4 && fill_level(1, 1000) == 1;
}

static bool t_verb_in(void)
{
	return verb_in("read,write,free", "free") &&
	       verb_in("read,write,free", "read") &&
	       verb_in("read,write,free", "write") &&
	       !verb_in("read,write,free", "re") &&
	       !verb_in("read,write,free", "rite") &&
	       !verb_in("stats,info", "stat") &&
	       /* a pool verb is not its set subcommand */
	       !verb_in("set read,set write", "write") &&
	       verb_in("set read,set write", "set write");
}

static bool near(double got, double want)
{
	const double eps = 0.000000001;

	if (got > want - eps && got < want + eps)
		return true;
	ktap_diag("got %.12f, want %.12f", got, want);
	return false;
}

static bool t_waste_percent(void)
{
	return near(waste_percent(0, 0), 0.0) &&
	       near(waste_percent(10, 0), 0.0) &&
	       near(waste_percent(64, 64), 0.0) &&
	       near(waste_percent(65, 64), 0.0) &&
	       near(waste_percent(56, 64), 12.5) &&
	       near(waste_percent(1, 8), 87.5) &&
	       near(waste_percent(0, 4096), 100.0);
}

/* A set of two classes with 3 x 8 + 2 x 64 bytes handed out. */
static const struct kpool_ioc_set_class two_classes[] = {
	{ .block_size = 8, .pool_id = 4, .allocs = 3, .requested_bytes = 21,
	  .blocks_in_use = 1, .blocks_total = 512 },
	{ .block_size = 64, .pool_id = 5, .allocs = 2, .requested_bytes = 100,
	  .blocks_in_use = 2, .blocks_total = 63 },
	{ .block_size = 128, .pool_id = 6 },	/* no blocks: hidden */
};

static void write_set_info(FILE *f, const void *arg)
{
	struct kpool_ioc_set_info in = {
		.name = "msg", .nr_classes = 3, .flags = KPOOL_IOC_F_ZERO,
		.classes_per_doubling = 8, .min_size = 8, .max_size = 64,
		.align = 8, .allocs = 5, .frees = 2, .requested_bytes = 121,
		.block_bytes = 152, .blocks_in_use = 3, .bytes_in_use = 136,
		.pages = 2, .meta_bytes = 900, .charged_bytes = 17284,
	};

	set_info_text(f, 7, &in, arg, false);
}

static bool t_set_info_text(void)
{
	return near(waste_percent(two_classes[0].requested_bytes,
				  class_block_bytes(&two_classes[0])),
		    12.5) &&
	       output_is(write_set_info, two_classes,
			 "set 7 (msg): 3 classes of 8 to 64 bytes, align 8, 8 per doubling, flags zero\n"
			 "allocs 5, frees 2, failures 0; in use 3 blocks, 136 bytes, 2 pages\n"
			 "requested 121 of 152 block bytes: fragmentation 20.4%\n"
			 "memory charged to this file: 17284 bytes (900 of them the set's tables)\n"
			 "    SIZE    POOL      ALLOCS       REQUESTED     IN USE      TOTAL  WASTE%\n"
			 "       8       4           3              21          1        512    12.5\n"
			 "      64       5           2             100          2         63    21.9\n"
			 "classes without blocks not shown: 1 (--all shows them)\n");
}

static void write_set_list(FILE *f, const void *arg)
{
	static const struct kpool_ioc_set_entry e[] = {
		{ .set_id = 3, .nr_classes = 41, .min_size = 8, .max_size = 4096,
		  .blocks_in_use = 10, .bytes_in_use = 1234, .name = "small" },
	};

	set_list_text(f, e, arg ? ARRAY_SIZE(e) : 0);
}

static bool t_set_list_text(void)
{
	return output_is(write_set_list, NULL, "no sets in this open file\n") &&
	       output_is(write_set_list, "",
			 "    ID  NAME                     CLASSES       MIN       MAX     IN USE         BYTES\n"
			 "     3  small                         41         8      4096         10          1234\n");
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "kp_parse_u64: decimal, hex, K/M/G; rejects junk and overflow", t_parse_u64 },
	{ "kp_parse_u32: upper bounds", t_parse_u32 },
	{ "kp_parse_seconds: fractions; rejects junk", t_parse_seconds },
	{ "kp_errname/kp_strerror", t_errname },
	{ "json: string escaping and UTF-8 validation", t_json_escape },
	{ "json: compact and pretty documents", t_json_document },
	{ "kpoolctl: session word splitting", t_split_words },
	{ "kpoolctl: write --hex parsing", t_parse_hex },
	{ "kpoolctl: handle lists with runs, with their @refs", t_print_handles },
	{ "kpoolctl: an unknown handle's message names what the session holds",
	  t_explain_handle },
	{ "kpoolctl: occupancy shading levels", t_fill_level },
	{ "kpoolctl: verb lists of hints; 'write' is not 'set write'", t_verb_in },
	{ "kpoolctl set: waste percentage", t_waste_percent },
	{ "kpoolctl set info: figures and class table", t_set_info_text },
	{ "kpoolctl set list: table", t_set_list_text },
};

int main(void)
{
	struct ktap t;
	size_t i;

	ktap_begin(&t, ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		ktap_result(&t, tests[i].fn(), "%s", tests[i].name);
	return ktap_end(&t);
}
