// SeqModelLang: the ConcatSeq sequence model run in the language (no server), for patterns and NRT scores.
//
// It reads the same model file as SeqPredict and `concatseq` (models/FORMAT.md: a mono float WAV holding a
// 64-float header and one flat blob of float32 weights in PyTorch layout; format versions 1 and 2), validates
// it like the C parser (plugins/core/cs_model.c: magic, version, header, dimensions, weight count, finite
// weights, FNV-1a checksum) with every layout constant and limit taken from ConcatSeqFormat (generated from the
// C core), and runs the same forward pass:
//  - GRU exactly as torch.nn.GRU (gate order r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn));
//    h' = (1 - z) n + z h), embedding (V+1, H), 1..2 layers, Linear(H, V);
//  - pre-LN causal transformer with ALiBi (Press, Smith & Lewis 2022; slopes 2^(-8h/NH)), a sliding window of
//    C tokens held in a ring of keys and values per layer, LayerNorm eps 1e-5 accumulated in double.
// Reset = zero state, then feed BOS (= V); the logits after a reset are the distribution of the first label.
//
// Sampling (sample / nextLabel) is a line-by-line port of plugins/core/cs_sample.c (candidates and mask,
// CTRL repetition penalty, temperature, top-k, top-p, inverse-CDF draw with ONE uniform double per call, argmax
// included) driven by ConcatSeqRng, an exact port of the core's xoshiro128** seeded by splitmix64. With the
// same model, seed, priming and parameters it therefore draws the same labels as the C core, except when a
// uniform falls within float rounding (~1e-7) of a boundary of the cumulative distribution.
//
// Arithmetic: matrices are held as columns (Signal, float32) and a matrix-vector product is a sum of scaled
// columns (Signal primitives), so the float32 roundings differ from the C kernels' (which differ among
// themselves, generic vs AVX2) by about 1e-7 relative. Argmax (temperature 0) gives the C core's labels unless
// two logits tie within that rounding. Cost per step: see HelpSource/Classes/SeqModelLang.schelp.
//
// A model file with an n-gram table after the weights (models/FORMAT.md, floats 28-30: a GRU/transformer + modified
// Kneser-Ney mixture from `concatseq train --ngram-mix`, or a pure n-gram model from `--arch ngram`, weight 0) is
// run as SeqPredict runs it (plugins/core/cs_seqpredict.h): the logits are ln(w softmax(network logits) + (1 - w)
// p_ngram(. | the labels fed since the reset)) centred to mean 0 (cs_seqp_center_logits), a port of cs_ngt_probs / cs_ngt_mix_logits (table values summed
// in double as in C; exp and log here, the core's fast approximations there: ~1e-7 relative); at weight 0 the
// network is never run. The table is validated like cs_ngt_parse (every record) when verify is true.
//
// The label cache (SeqPredict's `cache` input; plugins/core/cs_label_cache.c, issue 11 item 4) is ported exactly:
// float32 counts of every label fed since the reset, each decayed by ConcatSeqFormat.cacheDecay (2^(-1/64)) before
// a label is counted and zeroed below cacheFloor, their sum in double; a draw with cache weight c > 0 (and a
// non-empty cache) samples from ln((1 - c) softmax(logits) + c counts / sum), centred to mean 0 - the logits after
// the n-gram mixture, before guidance and the sampler, as on the server. So with the same seed and cache weights
// the draws are SeqPredict's.
//
// One SeqModelLang is weights + one state. -fork makes another state sharing the weights (what a pattern
// stream does), so many streams can run one model without copying it.

SeqModelLang {
	classvar <errorStrings;

	var <path, <arch, <vocab, <width, <numLayers, <heads, <context, <dFF, <numWeights, <checksum, <meta;
	var w;         // Event of weights shared by forks (read-only after load)
	// state
	var hid;       // GRU: Array of numLayers Signals (H)
	var kc, vc;    // transformer: [layer][slot] Signal (D) keys / values
	var ring = 0, filled = 0;
	var headIn;    // Signal (W): the vector the head reads
	var <position = 0;
	var logitsCache, stale = true;
	// sampling
	var <rng, <history, <>historyLen = 8;
	var <lastProb = 1.0, <lastEntropy = 0.0, <lastCandidates = 0, <lastFlags = 0, <lastGuided = false;
	// the n-gram table (nil: a network alone): (order:, contexts: [k] Dictionary "labels" -> [g, labels, as])
	var <ngram, <netWeight = 1.0;
	// descriptor inputs (models/FORMAT.md): Din (0 = none), the duration statistics, and the label primed last
	// that waits for the row of the unit played for it (nil = none), as SeqPredict's `unit` input
	var <descInputs = 0, <descDurMean = 0.0, <descDurStd = 1.0, pendingLabel;
	// the label cache (cs_label_cache.c): float32 counts, their sum (double), the labels counted since the reset
	var <cacheCounts, <cacheTotal = 0.0, <cacheFed = 0;

	*initClass {
		errorStrings = (
			arg: "invalid argument",
			truncated: "model data truncated (buffer shorter than header + weights)",
			magic: "not a ConcatSeq model (bad magic number)",
			version: "unsupported model format version",
			header: "malformed model header field",
			arch: "unknown model architecture",
			dims: "model dimensions out of range or inconsistent",
			size: "model weight count does not match its dimensions",
			nonfinite: "model weight is NaN, infinite or out of range",
			checksum: "model weights do not match the checksum",
			token: "token outside the label range",
			channels: "a model file has one channel",
			ngram: "the n-gram table after the weights is damaged or of another vocabulary",
			precision: "unknown weight precision or layout (0 float32, 1 half), or half precision with an odd width or with descriptor inputs (write such a model with float32 weights)"
		);
	}

	/*
	Read a model file (models/FORMAT.md). verify: also check every weight (finite, |w| <= 2^20) and the FNV-1a
	checksum (O(weights) in the language: ~0.1 s per 100k weights). Throws an Error naming the file and the
	reason (the same reasons, in the same order, as the C parser) if the file is not a valid model.
	*/
	*read { arg path, verify = true;
		var sf, data, p = path.asString.standardizePath;
		if(File.exists(p).not) { Error("SeqModelLang: no such file: %".format(p)).throw };
		sf = SoundFile.openRead(p);
		if(sf.isNil) { Error("SeqModelLang: %: not a sound file libsndfile can read".format(p)).throw };
		if(sf.numChannels != 1) {
			sf.close;
			Error("SeqModelLang: %: % (it has %)".format(p, errorStrings[\channels], sf.numChannels)).throw
		};
		data = FloatArray.newClear(sf.numFrames);
		sf.readData(data);
		sf.close;
		^this.fromData(data, verify, p)
	}

	/*
	A model from its flat float array (e.g. Buffer.loadToFloatArray of a model Buffer). Throws like *read.
	*/
	*fromData { arg data, verify = true, name;
		^super.new.prInit(data, verify, name)
	}

	/*
	A model from a path, a SeqModelLang (returned as it is) or any object answering `path` with a model file
	(such as a SeqModel); nil passes through.
	*/
	*from { arg thing;
		if(thing.isNil or: { thing.isKindOf(SeqModelLang) }) { ^thing };
		if(thing.isString or: { thing.isKindOf(Symbol) } or: { thing.isKindOf(PathName) }) {
			^this.read(thing.asString)
		};
		if(thing.respondsTo(\path) and: { thing.path.notNil }) { ^this.read(thing.path) };
		Error("SeqModelLang: cannot make a model from %".format(thing)).throw
	}

	/*
	Validate the header of a flat float array like cs_model_parse_header (and, with verify, the weights like
	cs_model_parse). Returns nil when valid, else [errorSymbol, detail].
	*/
	*check { arg data, verify = true;
		var din;
		var n, f, d, nw, need, cfg, ok, err, fmt = ConcatSeqFormat, hf = ConcatSeqFormat.modelHeader, version, ng;
		var half = false, stored;
		n = data.size;
		if(n == 0) { ^[\truncated, "empty"] };
		if(data[fmt.mhMagic] != fmt.modelMagic) { ^[\magic, "float 0 is %, not %".format(data[0], fmt.modelMagic)] };
		if(n < hf) { ^[\truncated, "% floats, the header alone has %".format(n, hf)] };
		version = data[fmt.mhVersion];
		if(version.isNaN or: { version < fmt.modelVersionMin } or: { version > fmt.modelVersion } or: { version.frac != 0 }) {
			^[\version, "version %, this reader knows %..%".format(version, fmt.modelVersionMin, fmt.modelVersion)]
		};
		if(data[fmt.mhHeaderFloats] != hf) { ^[\header, "header_floats %, not %".format(data[fmt.mhHeaderFloats], hf)] };
		f = data[fmt.mhArch];
		if(f.isNaN or: { f < 0 } or: { f >= fmt.archNames.size } or: { f.frac != 0 }) {
			^[\arch, "arch % (0 = GRU, 1 = transformer)".format(data[fmt.mhArch])]
		};
		d = Array.newClear(6);
		6.do { |i|
			f = data[fmt.mhVocab + i];
			if(f.isNaN or: { f.abs == inf }) { ^[\header, "dimension field % is not finite".format(fmt.mhVocab + i)] };
			if(f.abs < 8388608 and: { f.frac != 0 }) { ^[\header, "dimension field % (%) is not an integer".format(fmt.mhVocab + i, f)] };
			if(f < 0 or: { f > 65536 }) { ^[\dims, "dimension field % is %".format(fmt.mhVocab + i, f)] };
			d[i] = f.asInteger;
		};
		cfg = this.configError(data[fmt.mhArch].asInteger, *d);
		if(cfg.notNil) { ^[\dims, cfg] };
		din = 0;
		if(version >= 2) { // descriptor inputs (floats 31..34), as cs_model_parse_header
			f = data[fmt.mhDescInputs];
			if(f.isNaN or: { f.abs == inf } or: { f.abs < 8388608 and: { f.frac != 0 } }) {
				^[\header, "descriptor inputs % are not an integer".format(f)]
			};
			if(f < 0 or: { f > fmt.modelMaxDescInputs }) { ^[\dims, "descriptor inputs % outside 0..%".format(f, fmt.modelMaxDescInputs)] };
			din = f.asInteger;
			if(din > 0) {
				if(data[fmt.mhDescSet] != fmt.descSetTableDur) { ^[\header, "descriptor set % (1 is known)".format(data[fmt.mhDescSet])] };
				f = data[fmt.mhDescDurStd];
				if(data[fmt.mhDescDurMean].isNaN or: { data[fmt.mhDescDurMean].abs == inf } or: { f.isNaN } or: { f <= 0 } or: { f == inf }) {
					^[\header, "duration statistics % / % (finite, std > 0)".format(data[fmt.mhDescDurMean], f)]
				};
			};
		};
		[[fmt.mhNumWeights, 2], [fmt.mhChecksum, 2], [fmt.mhCorpusSum, 4], [fmt.mhSeed, 4], [fmt.mhEpochs, 2],
			[fmt.mhTrainTokens, 2], [fmt.mhNgramFloats, 2]].do { |field|
			err = this.prPiecesError(data, *field);
			if(err.notNil) { ^err };
		};
		nw = fmt.modelSplit(data, fmt.mhNumWeights, 2);
		[fmt.mhTrainLoss, fmt.mhValLoss].do { |i| if(data[i].isNaN or: { data[i].abs == inf }) { ^[\header, "loss field % is not finite".format(i)] } };
		need = this.paramCount(data[fmt.mhArch].asInteger, *(d ++ [din]));
		if(need != nw) { ^[\size, "header says % weights, the dimensions imply %".format(nw.asInteger, need)] };
		if(version >= 2) { // floats 36-37: weight precision and its layout (version 1 ignores them)
			f = data[fmt.mhPrecision];
			if(f.isNaN or: { f != 0 and: { f != fmt.precisionHalf } } or: { data[fmt.mhPrecisionLayout] != 0 }
				or: { f == fmt.precisionHalf and: { d[1].odd or: { din > 0 } } }) {
				^[\precision, "precision %, layout %, width %, descriptor inputs %".format(f, data[fmt.mhPrecisionLayout],
					d[1], din)]
			};
			half = f == fmt.precisionHalf;
		};
		stored = if(half) { (need + 1) div: 2 } { need };
		ng = fmt.modelSplit(data, fmt.mhNgramFloats, 2);
		if(ng > 0) {
			f = data[fmt.mhNetWeight];
			if(f.isNaN or: { f < 0 } or: { f > 1 }) { ^[\header, "net_weight % outside 0..1".format(f)] };
		};
		if(n - hf < (stored + ng)) {
			^[\truncated, "% floats after the header, % needed (weights % + n-gram table %)".format(n - hf, stored + ng, stored, ng)]
		};
		if(verify) {
			ok = if(half) { this.prVerifyHalf(data, stored, need.odd) } { this.prVerifyWeights(data, need) };
			if(ok.notNil) { ^ok };
			if(ng > 0) {
				ok = this.prNgramParse(data, hf + stored, ng, d[0]);
				if(ok.isKindOf(Event).not) { ^ok };
			};
		};
		^nil
	}

	/*
	Parse and validate the n-gram table of ng floats at data[off] as cs_ngt_parse does (magic, version, V = vocab,
	order 1..ngramMaxOrder, the counts, then every record: labels in range, contexts strictly increasing, g and a
	in 0..1, successor ranges contiguous, successor labels increasing; its size exactly ng). Returns an Event
	(order:, contexts: one Dictionary per order k = 1..order from the history labels joined by spaces to
	[g, successor labels, successor a]) or [\ngram, detail].
	*/
	*prNgramParse { arg data, off, ng, vocab;
		var fmt = ConcatSeqFormat, at, order, nctx, nsucc, total, ctxAt, succAt, dicts, isInt, bad;
		isInt = { |x, lo, hi| x.isNaN.not and: { x >= lo } and: { x <= hi } and: { x.frac == 0 } };
		bad = { |what| [\ngram, what] };
		if(ng < 4) { ^bad.("table of % floats".format(ng)) };
		if(data[off] != fmt.ngramMagic) { ^bad.("magic %".format(data[off])) };
		if(data[off + 1] != fmt.ngramVersion) { ^bad.("version %".format(data[off + 1])) };
		if(data[off + 2] != vocab) { ^bad.("V % for a model of % labels".format(data[off + 2], vocab)) };
		order = data[off + 3];
		if(isInt.(order, 1, fmt.ngramMaxOrder).not) { ^bad.("order %".format(order)) };
		order = order.asInteger;
		if(ng < (4 + (4 * order))) { ^bad.("truncated header") };
		nctx = Array.newClear(order + 1); nsucc = Array.newClear(order + 1);
		(1..order).do { |k|
			var b = off + 4 + (4 * (k - 1));
			4.do { |j| if(isInt.(data[b + j], 0, 65535).not) { ^bad.("count field % of order %".format(j, k)) } };
			nctx[k] = fmt.joinPieces([data[b], data[b + 1]]);
			nsucc[k] = fmt.joinPieces([data[b + 2], data[b + 3]]);
			if(k == 1 and: { nctx[k] > 1 }) { ^bad.("order 1 has % contexts".format(nctx[k])) };
		};
		total = 4 + (4 * order);
		(1..order).do { |k| total = total + (nctx[k] * (k + 3)) + (2 * nsucc[k]) };
		if(total != ng) { ^bad.("% floats, its counts imply %".format(ng, total)) };
		at = off + 4 + (4 * order);
		dicts = Array.newClear(order + 1);
		(1..order).do { |k|
			var w = k + 3, next = 0, prev, dict = Dictionary.new;
			ctxAt = at; succAt = at + (nctx[k] * w);
			nctx[k].do { |i|
				var r = ctxAt + (i * w), labs, g, first, cnt, sl, sa, cmp = 0;
				labs = Array.fill(k - 1, { |j| data[r + j] });
				labs.do { |x| if(isInt.(x, 0, vocab).not) { ^bad.("order % context % label %".format(k, i, x)) } };
				labs = labs.collect(_.asInteger);
				if(prev.notNil) { // lexicographic: the records must be strictly increasing
					block { |stop| labs.do { |x, j| if(x != prev[j]) { cmp = if(prev[j] < x) { -1 } { 1 }; stop.value } } };
					if(cmp != -1) { ^bad.("order % contexts not increasing at %".format(k, i)) };
				};
				prev = labs;
				g = data[r + k - 1];
				if(g.isNaN or: { g < 0 } or: { g > 1 }) { ^bad.("order % context % g %".format(k, i, g)) };
				if(isInt.(data[r + k], 0, 65535).not or: { isInt.(data[r + k + 1], 0, 65535).not }
					or: { isInt.(data[r + k + 2], 0, vocab).not }) { ^bad.("order % context % successor fields".format(k, i)) };
				first = fmt.joinPieces([data[r + k], data[r + k + 1]]);
				cnt = data[r + k + 2].asInteger;
				if(first != next or: { (first + cnt) > nsucc[k] }) { ^bad.("order % context % successor range".format(k, i)) };
				sl = Array.newClear(cnt); sa = Array.newClear(cnt);
				cnt.do { |j|
					var q = succAt + (2 * (first + j));
					if(isInt.(data[q], 0, vocab - 1).not or: { data[q + 1].isNaN } or: { data[q + 1] < 0 } or: { data[q + 1] > 1 }) {
						^bad.("order % successor %".format(k, first + j))
					};
					if(j > 0 and: { (data[q - 2] < data[q]).not }) { ^bad.("order % successors not increasing".format(k)) };
					sl[j] = data[q].asInteger; sa[j] = data[q + 1];
				};
				next = first + cnt;
				dict[prev.join(" ")] = [g, sl, sa];
			};
			if(next != nsucc[k]) { ^bad.("order % has successors no context owns".format(k)) };
			dicts[k] = dict;
			at = succAt + (2 * nsucc[k]);
		};
		^(order: order, contexts: dicts)
	}

	// p(next | the last order - 1 labels of hist, BOS-padded) as cs_ngt_probs: an Array of vocab Floats.
	ngramProbs { arg hist;
		var n = ngram[\order], key, p, rec;
		key = Array.fill(n - 1, { |j| var back = n - 1 - j; if(back <= hist.size) { hist[hist.size - back] } { vocab } });
		p = Array.fill(vocab, { 1.0 / vocab });
		(1..n).do { |k|
			rec = ngram[\contexts][k][key.copyRange(n - k, n - 2).join(" ")];
			if(rec.notNil) {
				p = p * rec[0];
				rec[1].do { |lab, j| p[lab] = p[lab] + rec[2][j] };
			};
		};
		^p
	}

	// nil when the `count` split-integer pieces at `index` are exact integers 0..65535, else [\header, detail].
	*prPiecesError { arg data, index, count;
		count.do { |i|
			var x = data[index + i];
			if(x.isNaN or: { x < 0 } or: { x > 65535 } or: { x.frac != 0 }) { ^[\header, "u16 field % is %".format(index + i, x)] };
		};
		^nil
	}

	// nil if the configuration is legal (cs_model_config_check, limits from ConcatSeqFormat), else a description.
	*configError { arg arch, vocab, width, layers, heads, context, dff;
		var f = ConcatSeqFormat;
		if(vocab < 1 or: { vocab > f.modelMaxVocab }) { ^"vocab % outside 1..%".format(vocab, f.modelMaxVocab) };
		if(arch == f.archGRU) {
			if(width < f.gruMinWidth or: { width > f.gruMaxWidth }) { ^"GRU width % outside %..%".format(width, f.gruMinWidth, f.gruMaxWidth) };
			if(layers < 1 or: { layers > f.gruMaxLayers }) { ^"GRU layers % outside 1..%".format(layers, f.gruMaxLayers) };
			if(heads != 0 or: { context != 0 } or: { dff != 0 }) { ^"a GRU has heads, context and d_ff 0" };
		} {
			if(width < f.tfMinWidth or: { width > f.tfMaxWidth }) { ^"transformer width % outside %..%".format(width, f.tfMinWidth, f.tfMaxWidth) };
			if(layers < 1 or: { layers > f.tfMaxLayers }) { ^"transformer layers % outside 1..%".format(layers, f.tfMaxLayers) };
			if(heads < 1 or: { heads > width } or: { width % heads != 0 }) { ^"heads % do not divide width %".format(heads, width) };
			if(context < 1 or: { context > f.tfMaxContext }) { ^"context % outside 1..%".format(context, f.tfMaxContext) };
			if(dff != (f.tfFFMult * width)) { ^"d_ff % is not % * width".format(dff, f.tfFFMult) };
		};
		^nil
	}

	// Number of weight floats implied by a configuration (models/FORMAT.md).
	*paramCount { arg arch, vocab, width, layers, heads, context, dff, descInputs = 0;
		var v = vocab, d = width, f = dff, per;
		per = if(arch == ConcatSeqFormat.archGRU) { (6 * d * d) + (6 * d) } {
			(2 * d) + (3 * d * d + (3 * d)) + (d * d + d) + (2 * d) + (f * d + f) + (d * f + d)
		};
		^((v + 1) * d) + (layers * per) + (v * d) + v + if(arch == ConcatSeqFormat.archTransformer) { 2 * d } { 0 }
			+ (d * descInputs)
	}

	// FNV-1a 32 over the weights' little-endian bytes and the finiteness check (cs_model_verify_step).
	*prVerifyWeights { arg data, need;
		var h = -2128831035; // 2166136261 as a signed 32-bit Integer (sclang Integers wrap like uint32)
		var stored, x, u, hf = ConcatSeqFormat.modelHeader, limit = ConcatSeqFormat.modelWeightLimit;
		need.do { |i|
			x = data[hf + i];
			if(x.isNaN or: { x.abs > limit }) { ^[\nonfinite, "weight % is %".format(i, x)] };
			u = x.as32Bits;
			h = h.bitXor(u.bitAnd(255)) * 16777619;
			h = h.bitXor((u >> 8).bitAnd(255)) * 16777619;
			h = h.bitXor((u >> 16).bitAnd(255)) * 16777619;
			h = h.bitXor((u >> 24).bitAnd(255)) * 16777619;
		};
		stored = this.prChecksumOf(data);
		if(stored != h) { ^[\checksum, "stored 0x%, computed 0x%".format(stored.asHexString(8), h.asHexString(8))] };
		^nil
	}

	// FNV-1a 32 over the packed floats of a half-precision file and the check that each holds two finite halves
	// (the high half's biased magnitude in halfHiBias .. 0x7bff + halfHiBias, the low half's exponent not 31,
	// the pad of an odd count +0): cs_model_verify_step.
	*prVerifyHalf { arg data, stored, odd;
		var h = -2128831035, u, hi, hf = ConcatSeqFormat.modelHeader, bias = ConcatSeqFormat.halfHiBias;
		stored.do { |i|
			u = data[hf + i].as32Bits;
			hi = (u >> 16).bitAnd(0x7fff);
			if(hi < bias or: { hi - bias > 0x7bff } or: { u.bitAnd(0x7c00) == 0x7c00 }
				or: { odd and: { i == (stored - 1) } and: { (u >> 16).bitAnd(0xffff) != bias } }) {
				^[\nonfinite, "packed weight float % holds a non-finite half".format(i)]
			};
			h = h.bitXor(u.bitAnd(255)) * 16777619;
			h = h.bitXor((u >> 8).bitAnd(255)) * 16777619;
			h = h.bitXor((u >> 16).bitAnd(255)) * 16777619;
			h = h.bitXor((u >> 24).bitAnd(255)) * 16777619;
		};
		u = this.prChecksumOf(data);
		if(u != h) { ^[\checksum, "stored 0x%, computed 0x%".format(u.asHexString(8), h.asHexString(8))] };
		^nil
	}

	/*
	A validated half-precision model array (models/FORMAT.md "Half-precision weights") as the float32 array of the
	same model (cs_model_expand: header copied with precision 0, every weight decoded exactly, then the n-gram
	table); a float32 array is answered as it is. O(weights): about 1 s per 300k weights in the language.
	*/
	*prExpandHalf { arg data;
		var fmt = ConcatSeqFormat, hf = fmt.modelHeader, nw, ng, stored, out, u, b, e, m, x;
		if(data[fmt.mhPrecision] != fmt.precisionHalf) { ^data };
		nw = fmt.modelSplit(data, fmt.mhNumWeights, 2).asInteger;
		ng = fmt.modelSplit(data, fmt.mhNgramFloats, 2).asInteger;
		stored = (nw + 1) div: 2;
		out = FloatArray.newClear(hf + nw + ng);
		hf.do { |i| out[i] = data[i] };
		out[fmt.mhPrecision] = 0;
		nw.do { |i|
			u = data[hf + (i >> 1)].as32Bits;
			b = if(i.odd) { ((u - (fmt.halfHiBias << 16)) >> 16).bitAnd(0xffff) } { u.bitAnd(0xffff) };
			e = (b >> 10).bitAnd(31); m = b.bitAnd(1023);
			x = if(e == 0) { m * (2 ** -24) } { (1024 + m) * (2 ** (e - 25)) };
			out[hf + i] = if(b.bitAnd(0x8000) != 0) { x.neg } { x };
		};
		ng.do { |i| out[hf + nw + i] = data[hf + stored + i] };
		^out
	}

	// The stored FNV-1a 32 of the weights as a signed 32-bit Integer (its bit pattern).
	*prChecksumOf { arg data;
		var p = ConcatSeqFormat.modelPieces(data, ConcatSeqFormat.mhChecksum, 2);
		^p[1].asInteger.bitOr(p[0].asInteger << 16)
	}

	prInit { arg data, verify, name;
		var err, off, take, cols, v, d, f, lw, fmt = ConcatSeqFormat;
		path = name;
		err = this.class.check(data, verify);
		if(err.notNil) {
			Error("SeqModelLang: %: % (%)".format(name ? "data", errorStrings[err[0]], err[1])).throw
		};
		data = this.class.prExpandHalf(data); // half weights: run their exact float values
		arch = fmt.archNames[data[fmt.mhArch].asInteger];
		vocab = data[fmt.mhVocab].asInteger; width = data[fmt.mhWidth].asInteger;
		numLayers = data[fmt.mhLayers].asInteger; heads = data[fmt.mhHeads].asInteger;
		context = data[fmt.mhContext].asInteger; dFF = data[fmt.mhDFF].asInteger;
		descInputs = if(data[fmt.mhVersion] >= 2) { data[fmt.mhDescInputs].asInteger } { 0 };
		if(descInputs > 0) { descDurMean = data[fmt.mhDescDurMean]; descDurStd = data[fmt.mhDescDurStd] };
		numWeights = this.class.paramCount(data[fmt.mhArch].asInteger, vocab, width, numLayers, heads, context, dFF,
			descInputs);
		checksum = this.class.prChecksumOf(data);
		meta = (
			corpusChecksum: SeqModel.hexOf(fmt.modelPieces(data, fmt.mhCorpusSum, 4)),
			seed: SeqModel.hexOf(fmt.modelPieces(data, fmt.mhSeed, 4)),
			epochs: fmt.modelSplit(data, fmt.mhEpochs, 2),
			trainTokens: fmt.modelSplit(data, fmt.mhTrainTokens, 2),
			trainLossBits: data[fmt.mhTrainLoss],
			valLossBits: data[fmt.mhValLoss],
			formatVersion: data[fmt.mhVersion].asInteger
		);
		v = vocab; d = width; f = dFF;
		off = fmt.modelHeader;
		// take n floats as a Signal
		take = { |n| var s = Signal.newFrom(data.copyRange(off, off + n - 1)); off = off + n; s };
		// a (rows, cols) row-major matrix as cols column Signals of rows values
		cols = { |rows, ncols|
			var flat = Array.newFrom(data.copyRange(off, off + (rows * ncols) - 1));
			off = off + (rows * ncols);
			if(ncols == 1) { [Signal.newFrom(flat)] } { flat.unlace(ncols).collect { |c| Signal.newFrom(c) } }
		};
		w = ();
		w[\emb] = (v + 1).collect { take.(d) };
		if(arch == \gru) {
			w[\layers] = numLayers.collect {
				lw = ();
				lw[\wih] = cols.(3 * d, d); lw[\whh] = cols.(3 * d, d);
				lw[\bih] = take.(3 * d); lw[\bhh] = take.(3 * d);
				lw
			};
			// layer 0's input projection depends only on the token: precompute it for every token, BOS included
			w[\gi0] = w[\emb].collect { |e| this.prMatvec(w[\layers][0][\wih], w[\layers][0][\bih], e) };
		} {
			w[\layers] = numLayers.collect {
				lw = ();
				lw[\ln1w] = take.(d); lw[\ln1b] = take.(d);
				lw[\inw] = cols.(3 * d, d); lw[\inb] = take.(3 * d);
				lw[\outw] = cols.(d, d); lw[\outb] = take.(d);
				lw[\ln2w] = take.(d); lw[\ln2b] = take.(d);
				lw[\ff1w] = cols.(f, d); lw[\ff1b] = take.(f);
				lw[\ff2w] = cols.(d, f); lw[\ff2b] = take.(d);
				lw
			};
			w[\lnfw] = take.(d); w[\lnfb] = take.(d);
			w[\slopes] = (1..heads).collect { |h| 2 ** (-8.0 * h / heads) };
			w[\scale] = 1.0 / (d div: heads).sqrt;
		};
		w[\headw] = cols.(v, d);
		w[\headb] = take.(v);
		if(descInputs > 0) { w[\descw] = cols.(d, descInputs) }; // desc_proj.weight (W, Din), after the head
		if(fmt.modelSplit(data, fmt.mhNgramFloats, 2) > 0) {
			ngram = this.class.prNgramParse(data, off, fmt.modelSplit(data, fmt.mhNgramFloats, 2), vocab);
			if(ngram.isKindOf(Event).not) {
				Error("SeqModelLang: %: % (%)".format(name ? "data", errorStrings[\ngram], ngram[1])).throw
			};
			netWeight = data[fmt.mhNetWeight];
		};
		rng = ConcatSeqRng(0);
		history = List.new;
		this.reset;
	}

	// Another state over the same weights (reset; its own generator seeded with `seed`, default 0).
	fork { arg seed = 0;
		^this.shallowCopy.prForkState(seed)
	}

	prForkState { arg seed;
		rng = ConcatSeqRng(seed);
		history = List.new;
		hid = kc = vc = nil;
		this.reset;
	}

	isGRU { ^arch == \gru }
	isTransformer { ^arch == \transformer }

	// Seed this state's generator (ConcatSeqRng: any Integer or integral Float 0..2^53).
	seed { arg seed; rng.seed(seed) }

	/*
	Zero the state, feed BOS and compute the logits of the first label; also clears the repetition history.
	*/
	reset {
		if(arch == \gru) {
			hid = numLayers.collect { Signal.newClear(width) };
		} {
			kc = numLayers.collect { Array.newClear(context) };
			vc = numLayers.collect { Array.newClear(context) };
			ring = 0; filled = 0;
		};
		position = 0;
		history = List.new;
		pendingLabel = nil;
		// a new Array (not zeroed in place): a fork shares nothing of this state
		cacheCounts = FloatArray.newClear(vocab); cacheTotal = 0.0; cacheFed = 0;
		this.prFeed(vocab);
		this.prComputeLogits;
	}

	/*
	Feed label (0..vocab-1) and compute the logits of the next one; returns them (a Signal of vocab floats).
	Throws if the label is outside the range.
	*/
	step { arg label;
		this.prime(label);
		^this.logits
	}

	/*
	Feed label without computing the logits (they are computed when next asked for): faster for priming a
	long context.
	*/
	prime { arg label, desc;
		var t = label.asInteger;
		if(label.isNil or: { label.isNumber.not } or: { t < 0 } or: { t >= vocab } or: { label != t }) {
			Error("SeqModelLang: % (%; labels are 0..%)".format(errorStrings[\token], label, vocab - 1)).throw
		};
		this.prFeedPending(nil);
		if(descInputs > 0 and: { desc.isNil } and: { this.netUsed }) {
			pendingLabel = t; // fed by -played (the unit's row) or, unknown, at the next step with zeros
		} {
			this.prFeed(t, desc);
		};
		stale = true;
		this.prAddHistory(t);
	}

	/*
	A model with descriptor inputs (`concatseq train --desc-inputs`): the label primed or drawn last waits for the
	row of the unit played for it, as on the server (SeqPredict's `unit` input). played feeds it now with that
	row: corpus a ConcatCorpus (loaded or opened), unit its index, or nil / -1 / not a unit = the label's centroid
	(ConcatSeqGuide of the corpus; zeros without one). The row (-descRow) is what cs_model_desc_row computes.
	Without a waiting label, or for a model without descriptor inputs, it does nothing. Returns this.
	*/
	played { arg corpus, unit;
		if(pendingLabel.notNil) { this.prFeedPending(this.descRow(corpus, unit, pendingLabel)) };
	}

	/*
	The descriptor row (descInputs floats) of `unit` of `corpus` for this model: its normalised descriptors, then
	(ln(duration s) - descDurMean) / descDurStd, each clamped to +-ConcatSeqFormat.descClamp (NaN -> 0); an
	unknown unit: the centroid of `label` and duration term 0; no corpus, or one of another descriptor count:
	zeros (plugins/core/cs_model_desc.h).
	*/
	descRow { arg corpus, unit, label;
		var row = Array.fill(descInputs, 0.0), nd = descInputs - 1, x, c, lim = ConcatSeqFormat.descClamp;
		var cl = { |v| if(v.isNil or: { v.isNaN }) { 0.0 } { v.clip(lim.neg, lim) } };
		if(corpus.isNil or: { descInputs == 0 }) { ^row };
		if(unit.notNil and: { unit >= 0 } and: { unit < corpus.numUnits }) {
			x = corpus.normalisedDescriptorsOf(unit.asInteger);
			if(x.size != nd) { ^row };
			nd.do { |i| row[i] = cl.(x[i]) };
			row[nd] = cl.(((corpus.lengthOf(unit.asInteger) / corpus.sampleRate).log - descDurMean) / descDurStd);
			^row
		};
		c = try { ConcatSeqGuide.from(corpus).centroids } { nil };
		if(c.notNil and: { label.notNil } and: { label >= 0 } and: { label < c.size } and: { c[label].size == nd }) {
			nd.do { |i| row[i] = cl.(c[label][i]) }
		};
		^row
	}

	prFeedPending { arg row;
		var t = pendingLabel;
		if(t.notNil) { pendingLabel = nil; this.prFeed(t, row) };
	}

	// Current logits (a Signal of vocab floats; clamped to +-1e30, never NaN).
	logits {
		this.prFeedPending(nil);
		if(stale) { this.prComputeLogits };
		^logitsCache
	}

	// The label that temperature 0 would choose now (the lowest index among equal maxima).
	argmax { ^this.sample(0) }

	/*
	Draw a label from the current logits, as SeqPredict does at a trigger without prime: the inputs are clamped
	like SeqPredict's (temperature 0..1000, topK 0..vocab, topP 0..1, repetitionPenalty 0..100, historyLen 0..64)
	and passed to a port of cs_sample. temperature 0: argmax. topK 0: off. topP 1: off. repetitionPenalty 1: off;
	it applies to the distinct labels among the last historyLen labels fed (sampled or primed; default
	this.historyLen, 8 like SeqPredict). mask: nil, or an Array of values, label i allowed when value i > 0 (or
	true; labels beyond the Array are allowed). Consumes exactly two outputs of the generator. Sets lastProb,
	lastEntropy (bits), lastCandidates, lastFlags. Returns the label.
	cache: the label cache's weight 0..1 (0 = off, bit for bit; see -cacheBlend), applied before guidance.
	Model x target guidance, as SeqPredict's: guide a ConcatCorpus (its manifest's centroids and weights) or a
	ConcatSeqGuide, or nil (none); target an Array of [descriptor, value, ...] pairs (names or indices, normalised
	values) or nil; guidance >= 0 (0 = the model alone, bit for bit). The draw is then from the guided logits
	(ConcatSeqGuide:logits: logits_k - guidance * d2(target, centroid_k) / 2), before the mask, the penalty, the
	temperature and the truncation, as on the server. Sets lastGuided.
	*/
	sample { arg temperature = 1.0, topK = 0, topP = 1.0, repetitionPenalty = 1.0, mask, historyLen, guide, target,
		guidance = 0, cache = 0;
		var t, k, p, r, hl, hist, lg, gl, cw;
		t = (temperature ? 1.0); if(t.isNaN) { t = 1.0 }; t = t.clip(0, 1000);
		k = (topK ? 0); if(k.isNaN) { k = 0 }; k = if(k < 1) { 0 } { if(k >= vocab) { vocab } { k.asInteger } };
		p = (topP ? 1.0); if(p.isNaN) { p = 1.0 }; p = p.clip(0, 1);
		r = (repetitionPenalty ? 1.0); if(r.isNaN) { r = 1.0 }; r = r.clip(0, 100);
		hl = (historyLen ? this.historyLen); if(hl.isNaN) { hl = 0 }; hl = if(hl < 1) { 0 } { hl.min(64).asInteger };
		hist = if(hl > 0) { history.copyRange(max(0, history.size - hl), history.size - 1) };
		lg = this.logits;
		// the label cache, as SeqPredict's `cache` input: clamped to 0..1 (NaN = 0), held as float32
		cw = (cache ? 0); if(cw.isNaN or: { cw <= 0 }) { cw = 0 } { cw = FloatArray[cw.min(1.0)][0] };
		if(cw > 0 and: { cacheTotal > 0 }) { lg = this.cacheBlend(lg, cw) };
		lastGuided = false;
		if(guide.notNil) {
			gl = ConcatSeqGuide.from(guide).logits(lg, target, guidance);
			if(gl.notNil) { lg = gl; lastGuided = true };
		};
		r = this.class.sampleLogits(lg, rng, t, k, p, r, hist, mask);
		#lastProb, lastEntropy, lastCandidates, lastFlags = r[1..4];
		^r[0]
	}

	/*
	Probability of `label` and entropy (bits) of the model's own distribution (softmax of the logits,
	temperature 1): what SeqPredict reports for a primed label. Returns [prob, entropyBits].
	*/
	modelProb { arg label;
		var lg = this.logits, mx = lg.maxItem, e, sum, ent = 0.0;
		e = lg.collect { |x| (x - mx).exp }; sum = e.sum;
		e.do { |x| var q = x / sum; if(q > 0) { ent = ent - (q * q.log2) } };
		^[e[label] / sum, ent]
	}

	/*
	One step, exactly as SeqPredict's trigger (plugins/core/cs_seqpredict.h): with 0 <= prime < vocab,
	teacher forcing - floor(prime) is fed and returned, no random draw, lastProb / lastEntropy from the model's own
	distribution; else (prime nil, < 0 or out of range) a draw by -sample, blended with the label cache at weight
	cache and guided by guide, target and guidance (see -sample; a primed step is neither). The label is then fed and added to the history. Returns the label.
	(Not called `next`: an object that answers `next` is taken for a stream by patterns, so
	Pdefn(\m, aSeqModelLang) would hand out labels instead of the model.)
	*/
	nextLabel { arg temperature = 1.0, topK = 0, topP = 1.0, repetitionPenalty = 1.0, mask, prime = -1, historyLen,
		guide, target, guidance = 0, cache = 0;
		var label, pe;
		if(prime.notNil and: { prime >= 0 } and: { prime < vocab }) {
			label = prime.floor.asInteger;
			pe = this.modelProb(label);
			lastProb = pe[0]; lastEntropy = pe[1]; lastCandidates = vocab; lastFlags = 0; lastGuided = false;
		} {
			label = this.sample(temperature, topK, topP, repetitionPenalty, mask, historyLen, guide, target, guidance,
				cache);
		};
		this.prime(label);
		^label
	}

	// n labels by -nextLabel with fixed parameters (an Array); cache: the label cache's weight (0 = off).
	generate { arg n, temperature = 1.0, topK = 0, topP = 1.0, repetitionPenalty = 1.0, mask, historyLen, cache = 0;
		^n.collect { this.nextLabel(temperature, topK, topP, repetitionPenalty, mask, -1, historyLen, cache: cache) }
	}

	/*
	The label cache's probability of label: counts[label] / sum (0 when the cache is empty or the label out of range),
	the counts decayed as described at the top of this file. What `concatseq eval --cache` scores.
	*/
	cacheProb { arg label;
		if(cacheTotal <= 0 or: { label.isNil } or: { label < 0 } or: { label >= vocab }) { ^0.0 };
		^cacheCounts[label.asInteger] / cacheTotal
	}

	/*
	Logits blended with the label cache at weight c (0 < c <= 1, a float32 value), a port of cs_lcache_blend_logits:
	ln((1 - c) softmax(logits) + c counts / sum), each probability floored at 1e-38, as float32, centred to mean 0
	(the mean in double). The softmax subtracts the largest logit in float32 and sums exp in double, as the core.
	Returns a new Signal (the logits are not changed); the logits themselves when the cache is empty.
	*/
	cacheBlend { arg logits, c;
		var mx, d, z = 0.0, out, mean = 0.0, lgd;
		if(cacheTotal <= 0) { ^logits };
		mx = logits.maxItem;
		d = FloatArray.newFrom(logits.collect { |x| x - mx }); // float32 differences, as in C
		d.do { |x| z = z + x.exp };
		lgd = d.collect { |x, k|
			var p = ((1.0 - c) * x.exp / z) + (c * cacheCounts[k] / cacheTotal);
			p.max(1e-38).log
		};
		out = Signal.newFrom(lgd); // float32
		lgd.do { |x| mean = mean + x };
		mean = mean / vocab;
		^Signal.newFrom(out.collect { |x| x - mean })
	}

	/*
	A model belongs to its corpus: true when this model's stored corpus checksum (info[\corpusChecksum]) equals
	corpus.checksum (a ConcatCorpus's, or a String of 16 hex digits); else posts ONE error line, prefixed by who
	(default "SeqModelLang"), naming the model, the corpus and the override (anyCorpus: true) and returns false.
	The same check as SeqModel:checkCorpus.
	*/
	checkCorpus { arg corpus, who;
		^SeqModel.prCheckCorpus(meta[\corpusChecksum], path, corpus, who ? "SeqModelLang")
	}

	/*
	Sampling on its own (a port of plugins/core/cs_sample.c, same order of operations and the same single
	uniform double per call). logits: vocab numbers; history: labels for the repetition penalty; mask: nil or
	vocab flags. Returns [label, probability, entropyBits, candidates, flags]
	(flags: 1 = the mask was ignored, 2 = no usable logit).
	*/
	*sampleLogits { arg logits, rng, temperature = 1.0, topK = 0, topP = 1.0, repetitionPenalty = 1.0,
		history, mask;
		var n = logits.size, u, ok, nOk = 0, flags = 0, uniform = false, val, pen, mx, amax, t, e, total;
		var k, p, kOn, pOn, kept = 0, mass, order, cum, target, acc, ez, label, count, hh, seen, ent, allowed;
		u = rng.uniformDouble; // always exactly one draw
		// float32 parameters as in cs_sample_params
		t = this.prF32(temperature ? 1.0);
		p = this.prF32(topP ? 1.0);
		pen = this.prF32(repetitionPenalty ? 1.0);
		k = (topK ? 0).asInteger;
		allowed = { |i| mask.isNil or: { i >= mask.size } or: { var m = mask[i]; m == true or: { m.isNumber and: { m > 0 } } } };
		// 1. candidates
		ok = Array.fill(n, { |i| var l = logits[i]; allowed.(i) and: { l.isNaN.not } and: { l > -3.4e38 } });
		nOk = ok.count(_ == true);
		if(nOk == 0 and: { mask.notNil }) {
			flags = 1;
			ok = Array.fill(n, { |i| var l = logits[i]; l.isNaN.not and: { l > -3.4e38 } });
			nOk = ok.count(_ == true);
		};
		if(nOk == 0) {
			flags = 2;
			uniform = true;
			ok = Array.fill(n, { |i| allowed.(i) });
			nOk = ok.count(_ == true);
			if(nOk == 0) { flags = 3; ok = Array.fill(n, true); nOk = n };
		};
		val = Array.fill(n, { |i| var l = if(uniform) { 0.0 } { logits[i] }; if(ok[i]) { l.clip(-1e30, 1e30) } { 0.0 } });
		// 2. repetition penalty, once per distinct label
		if(history.notNil and: { history.size > 0 } and: { pen > 0 } and: { pen != 1 } and: { pen < 3.4e38 }) {
			seen = Array.fill(n, false);
			history.do { |h|
				hh = h.asInteger;
				if(hh >= 0 and: { hh < n } and: { seen[hh].not } and: { ok[hh] }) {
					seen[hh] = true;
					val[hh] = if(val[hh] > 0) { this.prF32(val[hh] / pen) } { this.prF32(val[hh] * pen) };
					if(val[hh] < -1e30) { val[hh] = -1e30 };
				}
			}
		};
		mx = -3.4e38; amax = -1;
		n.do { |i| if(ok[i] and: { val[i] > mx }) { mx = val[i]; amax = i } };
		// 3. temperature; T <= 0 (or NaN) = argmax
		if((t > 0).not) { ^[amax, 1.0, 0.0, 1, flags] };
		e = Array.fill(n, 0.0);
		total = 0.0;
		n.do { |i|
			if(ok[i]) {
				val[i] = (val[i] - mx) / t;
				e[i] = if(val[i] >= -87.3) { val[i].exp } { 0.0 }; // cs_fast_exp flushes below -87.3
				total = total + e[i];
			} { val[i] = 0.0 }
		};
		// 4-5. truncation: labels by decreasing weight, lower index first among equals (the heap's pop order)
		kOn = k > 0 and: { k < nOk };
		pOn = p < 1.0;
		mass = total;
		if(kOn or: { pOn }) {
			order = (0..n - 1).select { |i| ok[i] }.sort { |a, b| (e[a] > e[b]) or: { e[a] == e[b] and: { a < b } } };
			cum = 0.0;
			if(kOn) {
				kept = k;
				kept.do { |j| cum = cum + e[order[j]] };
				mass = cum;
				if(pOn) {
					target = p * mass; acc = 0.0;
					block { |break|
						kept.do { |j| acc = acc + e[order[j]]; if(acc >= target) { kept = j + 1; break.value } };
					};
					mass = acc;
				}
			} {
				target = p * total;
				block { |break|
					order.do { |i, j| cum = cum + e[i]; kept = j + 1; if(cum >= target) { break.value } };
				};
				mass = cum;
			};
			if(kept < 1) { kept = 1; mass = e[order[0]] };
		};
		// 6. draw (inverse CDF)
		target = u * mass; acc = 0.0; ez = 0.0; label = -1; count = 0;
		if(kept > 0) {
			kept.do { |j|
				var i = order[j];
				if(e[i] > 0) { ez = ez + (e[i] * val[i]); count = count + 1 };
				acc = acc + e[i];
				if(label < 0 and: { target < acc }) { label = i };
			};
			if(label < 0) { label = order[0] };
		} {
			n.do { |i|
				if(ok[i]) {
					if(e[i] > 0) { ez = ez + (e[i] * val[i]); count = count + 1 };
					acc = acc + e[i];
					if(label < 0 and: { target < acc }) { label = i };
				}
			};
			if(label < 0) { label = amax };
		};
		ent = mass.log2 - (ez / (mass * 2.log));
		^[label, e[label] / mass, max(ent, 0.0), count, flags]
	}

	// x rounded to float32 (as the C core's float parameters).
	*prF32 { arg x; ^FloatArray[x.asFloat][0] }

	info {
		^(arch: arch, vocab: vocab, width: width, layers: numLayers, heads: heads, context: context, dFF: dFF,
			numWeights: numWeights, checksum: "0x" ++ checksum.asHexString(8),
			ngramOrder: ngram !? { ngram[\order] }, netWeight: netWeight) ++ meta
	}

	printOn { arg stream;
		stream << "SeqModelLang(" << arch << " V " << vocab << " W " << width << " L " << numLayers;
		if(arch == \transformer) { stream << " heads " << heads << " context " << context };
		if(ngram.notNil) { stream << " + MKN order " << ngram[\order] << " net weight " << netWeight };
		stream << ")";
	}

	// ---- forward pass ----

	// y (Signal, rows) = sum_j x[j] * cols[j] + bias  (matrix as columns; zero inputs skipped: exact)
	prMatvec { arg cols, bias, x;
		var y = bias.copy, xj;
		cols.do { |c, j| xj = x[j]; if(xj != 0) { y.overDub(c * xj, 0) } };
		^y
	}

	prAddHistory { arg label;
		history.add(label);
		while { history.size > 64 } { history.removeAt(0) };
		this.prCachePush(label);
	}

	// cs_lcache_push: decay every count (float32 products; below the floor: 0), sum in double, count the label
	prCachePush { arg label;
		var t = 0.0, decay = ConcatSeqFormat.cacheDecay, floor = ConcatSeqFormat.cacheFloor, v;
		vocab.do { |k|
			cacheCounts[k] = cacheCounts[k] * decay;
			v = cacheCounts[k];
			if(v < floor) { cacheCounts[k] = 0.0; v = 0.0 };
			t = t + v;
		};
		cacheCounts[label] = cacheCounts[label] + 1.0;
		cacheTotal = t + 1.0;
		cacheFed = cacheFed + 1;
	}

	// A pure n-gram model (a table of network weight 0) never runs its network, as SeqPredict.
	netUsed { ^ngram.isNil or: { netWeight > 0 } }

	prFeed { arg token, desc;
		if(this.netUsed) { if(arch == \gru) { this.prGruFeed(token, desc) } { this.prTfFeed(token, desc) } };
		position = position + 1;
	}

	// The first layer's input with descriptor inputs: embedding + desc_proj.weight d (d clamped; nil = zeros).
	prInput { arg token, desc;
		var x = w[\emb][token].copy, lim = ConcatSeqFormat.descClamp;
		if(descInputs > 0 and: { desc.notNil }) {
			x = this.prMatvec(w[\descw], x, desc.collect { |v| if(v.isNaN) { 0.0 } { v.clip(lim.neg, lim) } })
		};
		^x
	}

	prGruFeed { arg token, desc;
		var gi, gh, h, r, z, nn, lw, hN = width, in;
		numLayers.do { |l|
			lw = w[\layers][l];
			h = hid[l];
			gi = if(l == 0 and: { descInputs == 0 }) { w[\gi0][token] } {
				this.prMatvec(lw[\wih], lw[\bih], if(l == 0) { this.prInput(token, desc) } { in })
			};
			gh = this.prMatvec(lw[\whh], lw[\bhh], h);
			r = this.prSigmoid(gi.copyRange(0, hN - 1) + gh.copyRange(0, hN - 1));
			z = this.prSigmoid(gi.copyRange(hN, 2 * hN - 1) + gh.copyRange(hN, 2 * hN - 1));
			nn = (gi.copyRange(2 * hN, 3 * hN - 1) + (r * gh.copyRange(2 * hN, 3 * hN - 1))).tanh;
			h = nn + (z * (h - nn)); // (1 - z) n + z h
			hid[l] = h;
			in = h;
		};
		headIn = hid[numLayers - 1];
	}

	// logistic sigmoid with Signal primitives: 1 / (1 + e^-x) = (tanh(x / 2) + 1) / 2
	prSigmoid { arg x; ^((x * 0.5).tanh * 0.5) + 0.5 }

	// LayerNorm (biased variance, eps 1e-5) accumulated in double like the C core.
	prLayerNorm { arg x, g, b;
		var n = x.size, mean = 0.0, vr = 0.0, inv, y = Signal.newClear(n), dd;
		x.do { |v| mean = mean + v };
		mean = mean / n;
		x.do { |v| dd = v - mean; vr = vr + (dd * dd) };
		vr = vr / n;
		inv = 1.0 / (vr + 1e-5).sqrt;
		n.do { |i| y[i] = (x[i] - mean) * inv };
		^(y * g) + b
	}

	prTfFeed { arg token, desc;
		var d = width, nh = heads, hd = width div: heads, c = context, slot = ring, n, x, xn, qkv, q, att;
		var lw, scores, mx, sum, dist, keys, vals, qs, kk, acc, sl;
		n = if(filled < c) { filled + 1 } { c };
		x = this.prInput(token, desc);
		numLayers.do { |l|
			lw = w[\layers][l];
			xn = this.prLayerNorm(x, lw[\ln1w], lw[\ln1b]);
			qkv = this.prMatvec(lw[\inw], lw[\inb], xn);
			q = qkv.copyRange(0, d - 1);
			// the cache keeps each key and value split by head
			kc[l][slot] = nh.collect { |h| qkv.copyRange(d + (h * hd), d + ((h + 1) * hd) - 1) };
			vc[l][slot] = nh.collect { |h| qkv.copyRange((2 * d) + (h * hd), (2 * d) + ((h + 1) * hd) - 1) };
			att = Signal.newClear(d);
			nh.do { |h|
				sl = w[\slopes][h];
				qs = q.copyRange(h * hd, ((h + 1) * hd) - 1);
				scores = Array.fill(n, { |s|
					kk = qs * kc[l][s][h];
					acc = 0.0; kk.do { |v| acc = acc + v };
					dist = slot - s; if(dist < 0) { dist = dist + c };
					(acc * w[\scale]) - (sl * dist)
				});
				mx = scores.maxItem;
				scores = scores.collect { |v| (v - mx).exp };
				sum = scores.sum;
				n.do { |s| att.overDub(vc[l][s][h] * (scores[s] / sum), h * hd) };
			};
			x = x + this.prMatvec(lw[\outw], lw[\outb], att);
			xn = this.prLayerNorm(x, lw[\ln2w], lw[\ln2b]);
			xn = this.prMatvec(lw[\ff1w], lw[\ff1b], xn).max(0.0); // ReLU
			x = x + this.prMatvec(lw[\ff2w], lw[\ff2b], xn);
		};
		ring = if(slot + 1 == c) { 0 } { slot + 1 };
		if(filled < c) { filled = filled + 1 };
		headIn = this.prLayerNorm(x, w[\lnfw], w[\lnfb]);
	}

	prComputeLogits {
		var png, mx, z, hist, k;
		if(this.netUsed) {
			logitsCache = this.prMatvec(w[\headw], w[\headb], headIn);
			logitsCache.do { |v, i|
				if(v.isNaN) { logitsCache[i] = 0.0 } {
					if(v.abs > 1e30) { logitsCache[i] = v.clip(-1e30, 1e30) }
				}
			};
		} { logitsCache = Signal.newClear(vocab) };
		if(ngram.notNil) { // cs_ngt_mix_logits: ln(w softmax(logits) + (1 - w) p_ngram)
			k = min(ngram[\order] - 1, history.size);
			hist = if(k > 0) { history.copyRange(history.size - k, history.size - 1) } { [] };
			png = this.ngramProbs(hist);
			mx = logitsCache.maxItem;
			z = 0.0; logitsCache.do { |v| z = z + (v - mx).exp };
			logitsCache = Signal.newFrom(logitsCache.collect { |v, i|
				var q = (netWeight * (v - mx).exp / z) + ((1.0 - netWeight) * png[i]);
				if(q > 0) { q.log.max(-88.7) } { -88.7 } // the core's log2 of 0 gives -88.7
			});
			// cs_seqp_center_logits: mean 0 (in double), so the repetition penalty acts as on a network's logits
			mx = 0.0; logitsCache.do { |v| mx = mx + v }; mx = mx / vocab;
			logitsCache = Signal.newFrom(logitsCache.collect { |v| v - mx });
		};
		stale = false;
	}
}

/*
ConcatSeqRng: the C core's generator (plugins/core/cs_rng.c) in sclang integer arithmetic: xoshiro128** 1.1
(Blackman & Vigna 2021) seeded by splitmix64, so that the language draws the same numbers as the server and
the CLI for the same seed. sclang Integers are 32-bit two's complement and wrap on overflow like uint32, so
xoshiro's 32-bit operations map directly (logical right shift = arithmetic shift then mask). splitmix64's
64-bit arithmetic is done on four 16-bit limbs, products in Floats (exact: each partial sum < 2^53).
*/
ConcatSeqRng {
	var s0, s1, s2, s3;

	// seed: an Integer >= 0 or an integral Float 0..2^53 (the low 64 bits of the C seed). nil = 0.
	*new { arg seed = 0; ^super.new.seed(seed) }

	seed { arg seed = 0;
		var x, a, b, sm;
		x = this.class.prLimbs(seed ? 0);
		sm = {
			var z;
			x = this.class.prAdd(x, [0x7C15, 0x7F4A, 0x79B9, 0x9E37]); // 0x9E3779B97F4A7C15
			z = x;
			z = this.class.prMul(this.class.prXor(z, this.class.prShr(z, 30)), [0xE5B9, 0x1CE4, 0x476D, 0xBF58]);
			z = this.class.prMul(this.class.prXor(z, this.class.prShr(z, 27)), [0x11EB, 0x1331, 0x49BB, 0x94D0]);
			this.class.prXor(z, this.class.prShr(z, 31))
		};
		a = sm.value; b = sm.value;
		s0 = a[0].bitOr(a[1] << 16); s1 = a[2].bitOr(a[3] << 16);
		s2 = b[0].bitOr(b[1] << 16); s3 = b[2].bitOr(b[3] << 16);
	}

	// The state as four signed 32-bit Integers (the C state's bit patterns).
	state { ^[s0, s1, s2, s3] }

	// Next 32 random bits as a signed Integer (the bit pattern of cs_rng_next).
	nextBits {
		var result = this.class.prRotl(s1 * 5, 7) * 9, t = s1 << 9;
		s2 = s2.bitXor(s0);
		s3 = s3.bitXor(s1);
		s1 = s1.bitXor(s2);
		s0 = s0.bitXor(s3);
		s2 = s2.bitXor(t);
		s3 = this.class.prRotl(s3, 11);
		^result
	}

	// Next 32 random bits as an unsigned value 0 .. 2^32-1 (a Float when above 2^31-1).
	next { var b = this.nextBits; ^if(b < 0) { b + 4294967296.0 } { b } }

	// Uniform in [0, 1) with 24 bits (cs_rng_uniform).
	uniform { ^this.class.prLsr(this.nextBits, 8) / 16777216.0 }

	// Uniform in [0, 1) with 53 bits from two outputs (cs_rng_uniform_double).
	uniformDouble {
		var hi = this.class.prLsr(this.nextBits, 5), lo = this.class.prLsr(this.nextBits, 6);
		^((hi * 67108864.0) + lo) / 9007199254740992.0
	}

	// Integer in [0, n) by Lemire's multiply-shift (cs_rng_below); 0 when n <= 0.
	below { arg n;
		var x, hi, lo;
		if(n.isNil or: { n < 1 }) { ^0 };
		x = this.next; hi = (x / 65536).floor; lo = x - (hi * 65536);
		^(((hi * n) + ((lo * n) / 65536).floor) / 65536).floor.asInteger
	}

	// x >>> k for a 32-bit pattern, 1 <= k <= 31
	*prLsr { arg x, k; ^(x >> k).bitAnd((1 << (32 - k)) - 1) }
	*prRotl { arg x, k; ^(x << k).bitOr(this.prLsr(x, 32 - k)) }

	// 64-bit values as four 16-bit limbs, least significant first
	*prLimbs { arg v;
		var f = v.asFloat, limbs;
		if(f < 0 or: { f.frac != 0 } or: { f > 9007199254740992.0 }) {
			Error("ConcatSeqRng: a seed is an integer 0..2^53, not %".format(v)).throw
		};
		limbs = 4.collect { var q = (f / 65536).floor, r = f - (q * 65536); f = q; r.asInteger };
		^limbs
	}
	*prAdd { arg a, b;
		var carry = 0;
		^4.collect { |i| var s = a[i] + b[i] + carry; carry = s >> 16; s.bitAnd(0xFFFF) }
	}
	*prXor { arg a, b; ^4.collect { |i| a[i].bitXor(b[i]) } }
	*prShr { arg a, k;
		var q = k div: 16, r = k % 16;
		^4.collect { |i|
			var lo = if(i + q < 4) { a[i + q] } { 0 }, hi = if(i + q + 1 < 4) { a[i + q + 1] } { 0 };
			if(r == 0) { lo } { (lo >> r).bitOr((hi << (16 - r)).bitAnd(0xFFFF)) }
		}
	}
	*prMul { arg a, b;
		var cols = Array.fill(4, 0.0), carry = 0.0;
		4.do { |i| 4.do { |j| if(i + j < 4) { cols[i + j] = cols[i + j] + (a[i].asFloat * b[j]) } } };
		^4.collect { |i| var s = cols[i] + carry, q = (s / 65536).floor; carry = q; (s - (q * 65536)).asInteger }
	}
}
