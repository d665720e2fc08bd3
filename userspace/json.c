// SPDX-License-Identifier: GPL-2.0
/*
 * json - a minimal streaming JSON writer (see json.h).
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), else 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	u32 cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void json_write_escaped(FILE *f, const char *str, size_t n)
{
	/* the characters with a short escape, and the letter of each */
	static const char special[] = "\"\\\b\f\n\r\t";
	static const char letter[] = "\"\\bfnrt";
	const unsigned char *s = (const unsigned char *)str;
	const char *sp;
	size_t i, len;

	n = strnlen(str, n);
	fputc('"', f);
	for (i = 0; i < n; i += len) {
		sp = strchr(special, s[i]);	/* s[i] is no NUL: i < strnlen() */
		len = 1;
		if (sp) {
			fprintf(f, "\\%c", letter[sp - special]);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i]);
		} else {
			len = utf8_sequence(s + i, n - i);
			if (len) {
				fwrite(s + i, 1, len, f);
			} else {
				fputs("\\ufffd", f);	/* for one byte */
				len = 1;
			}
		}
	}
	fputc('"', f);
}

static void json_indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator, indentation and "key": before a value. */
static void json_value_prefix(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->has_members[j->depth])
			fputc(',', j->f);
		j->has_members[j->depth] = true;
		json_indent(j);
	}
	if (key) {
		json_write_escaped(j->f, key, strlen(key));
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

/* After a value: a top-level value ends its line. */
static void json_value_suffix(struct json *j)
{
	if (j->depth == 0) {
		fputc('\n', j->f);
		fflush(j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	json_value_prefix(j, key);
	fputc(bracket, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->has_members[j->depth] = false;
}

static void json_close(struct json *j, char bracket)
{
	bool had_members = j->has_members[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had_members)
		json_indent(j);
	fputc(bracket, j->f);
	json_value_suffix(j);
}

void json_object_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_object_end(struct json *j)
{
	json_close(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_array_end(struct json *j)
{
	json_close(j, ']');
}

void json_string_n(struct json *j, const char *key, const char *s, size_t n)
{
	json_value_prefix(j, key);
	json_write_escaped(j->f, s, n);
	json_value_suffix(j);
}

void json_string(struct json *j, const char *key, const char *s)
{
	json_string_n(j, key, s, strlen(s));
}

/* A value other than a string or a container, as printf() writes it. */
static __printf(3, 4) void json_printf(struct json *j, const char *key,
				       const char *fmt, ...)
{
	va_list ap;

	json_value_prefix(j, key);
	va_start(ap, fmt);
	vfprintf(j->f, fmt, ap);
	va_end(ap);
	json_value_suffix(j);
}

void json_u64(struct json *j, const char *key, u64 v)
{
	json_printf(j, key, "%llu", v);
}

void json_i64(struct json *j, const char *key, s64 v)
{
	json_printf(j, key, "%lld", v);
}

void json_double(struct json *j, const char *key, double v)
{
	if (isfinite(v))
		json_printf(j, key, "%.6g", v);
	else
		json_null(j, key);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_printf(j, key, "%s", v ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	json_printf(j, key, "null");
}

void json_u32_array(struct json *j, const char *key, const u32 *v, size_t n)
{
	size_t i;

	json_array_begin(j, key);
	for (i = 0; i < n; i++)
		json_u64(j, NULL, v[i]);
	json_array_end(j);
}
