// ConcatSeqJSON: a small JSON reader (RFC 8259) written in sclang, for corpus.json. sclang 3.13's own
// parseJSON / parseJSONFile (a yaml-cpp primitive) crashes the interpreter on deeply nested input and, under
// garbage-collector pressure, corrupts memory now and then (a loop of ConcatCorpus.open on a real bundle died
// with SIGSEGV within 3000 opens, with the old classes as well); this reader allocates only ordinary objects,
// recurses at most maxDepth levels, and reports bad input as an Error naming the character position.

ConcatSeqJSON {
	var text, pos, maxDepth;

	/*
	Parse JSON text (a String of UTF-8 bytes) into sclang values: an object becomes a Dictionary with String
	keys, an array an Array, a string a String (escapes decoded, \uXXXX as UTF-8), a number an Integer (no
	fraction or exponent and at most 9 digits) or a Float, true / false Booleans, null nil. maxDepth: the
	deepest nesting of arrays and objects accepted (32). Throws an Error ("JSON: <what> at character <n>") on
	malformed input, deeper nesting, or text after the value. O(text size); no primitive is called.
	*/
	*parse { arg text, maxDepth = 32;
		^super.new.prInit(text.asString, maxDepth).prDocument
	}

	prInit { arg argText, argDepth; text = argText; pos = 0; maxDepth = argDepth }

	prDocument {
		var v;
		this.prSkip;
		v = this.prValue(1);
		this.prSkip;
		if(pos < text.size) { this.prFail("text after the value") };
		^v
	}

	prFail { arg what; Error("JSON: % at character %".format(what, pos)).throw }

	prSkip {
		var c;
		while { pos < text.size and: { c = text[pos]; c == $  or: { c == $\n } or: { c == $\t } or: { c == $\r } } } {
			pos = pos + 1
		}
	}

	prValue { arg depth;
		var c;
		if(pos >= text.size) { this.prFail("unexpected end") };
		c = text[pos];
		if(c == ${) { ^this.prObject(depth) };
		if(c == $[) { ^this.prArray(depth) };
		if(c == $") { ^this.prString };
		if(c == $t) { this.prWord("true"); ^true };
		if(c == $f) { this.prWord("false"); ^false };
		if(c == $n) { this.prWord("null"); ^nil };
		^this.prNumber
	}

	prWord { arg word;
		if(text.copyRange(pos, pos + word.size - 1) != word) { this.prFail("not a JSON value") };
		pos = pos + word.size
	}

	// after a value inside an object or array: true at the closing character (consumed), false after a comma
	prEnd { arg close;
		this.prSkip;
		if(pos >= text.size) { this.prFail("unexpected end") };
		if(text[pos] == $,) { pos = pos + 1; this.prSkip; ^false };
		if(text[pos] == close) { pos = pos + 1; ^true };
		this.prFail("expected , or %".format(close))
	}

	prObject { arg depth;
		var dict = Dictionary.new, key, done = false;
		if(depth > maxDepth) { this.prFail("arrays and objects nested deeper than %".format(maxDepth)) };
		pos = pos + 1;
		this.prSkip;
		if(pos < text.size and: { text[pos] == $} }) { pos = pos + 1; ^dict };
		while { done.not } {
			if(pos >= text.size or: { text[pos] != $" }) { this.prFail("expected a key") };
			key = this.prString;
			this.prSkip;
			if(pos >= text.size or: { text[pos] != $: }) { this.prFail("expected :") };
			pos = pos + 1;
			this.prSkip;
			dict.put(key, this.prValue(depth + 1));
			done = this.prEnd($});
		};
		^dict
	}

	prArray { arg depth;
		var list = List.new, done = false;
		if(depth > maxDepth) { this.prFail("arrays and objects nested deeper than %".format(maxDepth)) };
		pos = pos + 1;
		this.prSkip;
		if(pos < text.size and: { text[pos] == $] }) { pos = pos + 1; ^[] };
		while { done.not } {
			list.add(this.prValue(depth + 1));
			done = this.prEnd($]);
		};
		^list.asArray
	}

	// at the opening quote: the decoded string; the position ends after the closing quote
	prString {
		var out = "", start, c, done = false;
		pos = pos + 1;
		start = pos;
		while { done.not } {
			if(pos >= text.size) { this.prFail("unterminated string") };
			c = text[pos];
			if(c == $") { out = out ++ text.copyRange(start, pos - 1); pos = pos + 1; done = true } {
				if(c == $\\) {
					out = out ++ text.copyRange(start, pos - 1);
					out = out ++ this.prEscape;
					start = pos;
				} { pos = pos + 1 }
			}
		};
		^out
	}

	// at a backslash: the escaped character(s) as a String; the position ends after the escape
	prEscape {
		var c, code, low;
		if(pos + 1 >= text.size) { this.prFail("unterminated escape") };
		c = text[pos + 1];
		pos = pos + 2;
		if(c == $u) {
			code = this.prHex4;
			// a surrogate pair: one code point
			if(code >= 0xD800 and: { code < 0xDC00 } and: { text.copyRange(pos, pos + 1) == "\\u" }) {
				pos = pos + 2;
				low = this.prHex4;
				code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
			};
			^this.class.utf8(code)
		};
		^switch(c,
			$", { "\"" }, $\\, { "\\" }, $/, { "/" }, $b, { 8.asAscii.asString }, $f, { 12.asAscii.asString },
			$n, { "\n" }, $r, { "\r" }, $t, { "\t" },
			{ this.prFail("bad escape \\%".format(c)) })
	}

	prHex4 {
		var digits = text.copyRange(pos, pos + 3), v = 0;
		if(digits.size != 4) { this.prFail("bad \\u escape") };
		digits.do { |d|
			var i = "0123456789abcdef".indexOf(d.toLower);
			if(i.isNil) { this.prFail("bad \\u escape") };
			v = (v * 16) + i;
		};
		pos = pos + 4;
		^v
	}

	/*
	The UTF-8 bytes of Unicode code point `code` (0 .. 0x10FFFF) as a String of one to four Chars.
	*/
	*utf8 { arg code;
		var bytes = case
			{ code < 0x80 } { [code] }
			{ code < 0x800 } { [0xC0 + (code >> 6), 0x80 + (code & 0x3F)] }
			{ code < 0x10000 } { [0xE0 + (code >> 12), 0x80 + ((code >> 6) & 0x3F), 0x80 + (code & 0x3F)] }
			{ [0xF0 + (code >> 18), 0x80 + ((code >> 12) & 0x3F), 0x80 + ((code >> 6) & 0x3F), 0x80 + (code & 0x3F)] };
		^String.newFrom(bytes.collect { |b| b.asAscii })
	}

	prNumber {
		var start = pos, str, c, isFloat = false, digits;
		while { pos < text.size and: { c = text[pos]; c.isDecDigit or: { "+-.eE".includes(c) } } } {
			if(".eE".includes(c)) { isFloat = true };
			pos = pos + 1
		};
		str = text.copyRange(start, pos - 1);
		digits = if(str.beginsWith("-")) { str.copyToEnd(1) } { str };
		// JSON's grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
		if(digits.isEmpty or: { digits[0].isDecDigit.not } or: { digits.size > 1 and: { digits[0] == $0 } and: { digits[1].isDecDigit } }
			or: { str.findRegexp("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$").isEmpty }) {
			pos = start;
			this.prFail("not a JSON value")
		};
		if(isFloat.not and: { digits.size <= 9 }) { ^str.asInteger };
		^str.asFloat
	}
}
