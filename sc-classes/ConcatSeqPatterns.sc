// Patterns for ConcatSeq: labels from a sequence model run in the language (Pseqpredict), units of a corpus by a
// selection policy (Pconcatunit), and an event type \concatseq that plays one unit as a one-shot grain with the
// server's latency, sample-accurately (ConcatSeqUnit's SynthDefs, OffsetOut). No server round trip: everything
// works in Pattern.asScore / Score.recordNRT.

/*
Pseqpredict(model, temperature, topK, topP, prime, seed, repetitionPenalty, historyLen, mask, reset, length,
	corpus, target, guidance, cache)
Labels from a ConcatSeq sequence model, one per event, computed in sclang by SeqModelLang: the same labels
SeqPredict and the C core give for the same model, seed, inputs and priming. Every argument may be a pattern
or stream; its value is read at each event:
  model       a SeqModelLang, a model file path or a SeqModel (loaded once per distinct value); each stream runs
              its own state (SeqModelLang:fork). A new model resets the state.
  temperature 0 (argmax) .. 1000; 1 = the model's distribution.   topK 0 = off.   topP 1 = off.
  prime       >= 0 (< numLabels): teacher forcing - this label is fed and yielded instead of a sampled one.
  seed        >= 0: the generator's seed (re-seeded whenever the value changes and at each reset);
              nil or < 0: drawn once from thisThread's generator (so Pseed / thisThread.randSeed fix it).
  repetitionPenalty 1 = off; historyLen 0..64 (8); mask nil or an Array of per-label values (> 0 = allowed).
  reset       > 0 at an event: the state is reset (and re-seeded) before that event's step.
  length      number of labels (inf).
  corpus      model x target guidance (as SeqPredict's): a ConcatCorpus (its manifest's label centroids and
              weights) or nil (no guidance);
  target      nil or an Array of [descriptor, value, ...] pairs (names or indices, normalised values) per event;
  guidance    >= 0 per event: the label is drawn from logits_k - guidance * d2(target, centroid_k) / 2 (0 = the
              model alone).
  cache       0..1 per event: the weight of the label cache (SeqModelLang:cacheBlend; decayed counts of the labels
              yielded or primed since the stream's last reset), as SeqPredict's `cache` input; 0 = off (default).
Yields Integers; the stream ends when an argument's stream ends.
A model with descriptor inputs (`concatseq train --desc-inputs`) is fed, before each step, the descriptors and
duration of the unit played for the label before (SeqModelLang:played), as SeqPredict's `unit` input: each label
drawn inside an Event (a Pbind) puts the stream's model state into that event as \concatseqFeed, and the
\concatseq event type calls its played(corpus, unit) with the unit it plays (from \unit, e.g. Pconcatunit, or the
unit it picks for \label; a rest: the label's centroid). Another event type may call
~concatseqFeed.played(corpus, unit) itself; a label never reported so is fed with zero rows at the next step.
Other models ignore it.
*/
Pseqpredict : Pattern {
	var <>model, <>temperature, <>topK, <>topP, <>prime, <>seed, <>repetitionPenalty, <>historyLen, <>mask,
		<>reset, <>length, <>corpus, <>target, <>guidance, <>cache;

	*new { arg model, temperature = 1, topK = 0, topP = 1, prime = -1, seed, repetitionPenalty = 1,
		historyLen = 8, mask, reset = 0, length = inf, corpus, target, guidance = 0, cache = 0;
		^super.newCopyArgs(model, temperature, topK, topP, prime, seed, repetitionPenalty, historyLen, mask,
			reset, length, corpus, target, guidance, cache)
	}

	storeArgs { ^[model, temperature, topK, topP, prime, seed, repetitionPenalty, historyLen, mask, reset, length,
		corpus, target, guidance, cache] }

	embedInStream { arg inval;
		// a model path (a String) is one value, not a stream of characters
		var streams = [
			if(model.isKindOf(Pattern) or: { model.isKindOf(Stream) }) { model.asStream } { Routine { loop { model.yield } } },
			temperature, topK, topP, prime, seed ? -1, repetitionPenalty, historyLen, mask ? \none, reset,
			if(corpus.isKindOf(Pattern) or: { corpus.isKindOf(Stream) }) { corpus.asStream } { Routine { loop { (corpus ? \none).yield } } },
			target ? \none, guidance ? 0, cache ? 0
		].collect(_.asStream);
		var vals, source, state, seedVal, lastSeed, count = 0, label, fallback;
		// the seed used when none is given: one draw from this thread's generator
		fallback = 2147483647.rand;
		while { count < length } {
			vals = streams.collect { |s| s.next(inval) };
			// a stream that ended ends this one (mask may be nil: it is optional)
			if(vals.includes(nil)) { ^inval };
			if(vals[8] == \none) { vals[8] = nil };
			if(vals[10] == \none) { vals[10] = nil };
			if(vals[11] == \none) { vals[11] = nil };
			if(vals[0] !== source) {
				source = vals[0];
				state = ConcatSeqPatternCache.model(source).fork;
				lastSeed = nil;
			};
			seedVal = vals[5];
			if(seedVal.isNil or: { seedVal < 0 }) { seedVal = fallback };
			if(vals[9] > 0) { state.reset; lastSeed = nil };
			if(seedVal != lastSeed) { state.seed(seedVal.floor.min(9007199254740992.0)); lastSeed = seedVal };
			label = state.nextLabel(vals[1], vals[2], vals[3], vals[6], vals[8], vals[4], vals[7],
				vals[10] !? { |c| ConcatSeqGuide.from(c) }, vals[11], vals[12], vals[13]);
			// the event plays the unit: the \concatseq event type reports it (SeqModelLang:played)
			if(inval.isKindOf(Event)) { inval[\concatseqFeed] = state };
			inval = label.yield;
			count = count + 1;
		};
		^inval
	}
}

// Models read from a path or a SeqModel are cached by path (read and verified once); guides (ConcatSeqGuide) by
// corpus.
ConcatSeqPatternCache {
	classvar cache, guides;
	*guide { arg corpus;
		guides = guides ?? { IdentityDictionary.new };
		^guides[corpus] ?? { var g = ConcatSeqGuide(corpus); guides[corpus] = g; g }
	}
	*model { arg thing;
		var key;
		if(thing.isKindOf(SeqModelLang)) { ^thing };
		key = if(thing.isString or: { thing.isKindOf(Symbol) }) { thing.asString.standardizePath } {
			if(thing.respondsTo(\path)) { thing.path } { nil }
		};
		if(key.isNil) { Error("Pseqpredict: argument 'model' must be a SeqModelLang, a model file path or a SeqModel, not %".format(thing)).throw };
		cache = cache ?? { IdentityDictionary.new };
		^cache[key.asSymbol] ?? { var m = SeqModelLang.read(key); cache[key.asSymbol] = m; m }
	}
	*clear { cache = nil; guides = nil }
}

/*
Pconcatunit(corpus, label, policy, seed, target, anyCorpus)
Unit indices of a ConcatCorpus for a stream of labels, by a selection policy (the policies of ConcatPlay's
`select` input and the C core's cs_select, with the same generator: for the same seed and labels the random
choices are the ones ConcatPlay's core makes):
  \random (0)     a uniformly random unit of the label;
  \successor (1)  the original successor of the previous unit when it has the label, else random;
  \lru (2)        the least recently used unit of the label (never-used units first, in unit order);
  \nearest (3)    the unit of the label nearest to `target` (normalised descriptors: an Array of
                  [descriptor, value] pairs, descriptor a name or an index), else random.
label < 0 means any unit. Every argument may be a pattern. A label the corpus does not have (out of range, or
empty) yields the rest value \rest (so the event is a rest) and posts one warning per stream.
Where model and corpus meet - `label` is a Pseqpredict whose model is one value (not a pattern) - the model
must have been trained on the corpus (its checkCorpus), unless anyCorpus is true: else the stream ends at once,
after checkCorpus's one error line. A target that is not such pairs (a NaN value, an unknown descriptor, an odd
length) ends the stream after one error line naming it (ConcatSeqSelector:targetPairs).
*/
Pconcatunit : Pattern {
	classvar <policies;
	var <>corpus, <>label, <>policy, <>seed, <>target, <>anyCorpus;

	*initClass { policies = (random: 0, successor: 1, lru: 2, nearest: 3) }

	*new { arg corpus, label = -1, policy = \random, seed, target, anyCorpus = false;
		^super.newCopyArgs(corpus, label, policy, seed, target, anyCorpus)
	}

	storeArgs { ^[corpus, label, policy, seed, target, anyCorpus] }

	/*
	False (after model.checkCorpus's one error line) when `label` is a Pseqpredict over one model that was not
	trained on corpus `c` and anyCorpus is not true; else true.
	*/
	modelMatches { arg c;
		var m;
		if(anyCorpus == true or: { label.isKindOf(Pseqpredict).not } or: { c.isKindOf(ConcatCorpus).not }) { ^true };
		m = label.model;
		if(m.isKindOf(Pattern) or: { m.isKindOf(Stream) } or: { m.isNil }) { ^true };
		^ConcatSeqPatternCache.model(m).checkCorpus(c, "Pconcatunit")
	}

	*policyIndex { arg p;
		if(p.isNumber) { ^p.asInteger.clip(0, 3) };
		^policies[p.asSymbol] ?? { Error("Pconcatunit: unknown policy % (random, successor, lru, nearest)".format(p)).throw }
	}

	embedInStream { arg inval;
		var cs = corpus.asStream, ls = label.asStream, ps = policy.asStream, ss = seed.asStream, ts = target.asStream;
		var c, sel, l, p, s, t, u, why, warned = false;
		var lastSeed, fallback = 2147483647.rand;
		loop {
			c = cs.next(inval); l = ls.next(inval); p = ps.next(inval); s = ss.next(inval); t = ts.next(inval);
			if(c.isNil or: { l.isNil } or: { p.isNil }) { ^inval };
			if(sel.isNil or: { sel.corpus !== c }) {
				if(this.modelMatches(c).not) { ^inval };
				sel = ConcatSeqSelector(c); lastSeed = nil
			};
			if(s.isNil or: { s < 0 }) { s = fallback };
			if(s != lastSeed) { sel.seed(s); lastSeed = s };
			// a target the selector cannot use: one line, and the stream ends
			if(t.notNil) { why = sel.targetPairs(t); if(why.isString) { why.error; ^inval } };
			if(l.isRest) { inval = l.yield } {
				u = sel.pick(l, this.class.policyIndex(p), t);
				if(u.isNil) {
					if(warned.not) { "Pconcatunit: label % has no units in %".format(l, c).warn; warned = true };
					inval = \rest.yield
				} { inval = u.yield };
			}
		}
	}
}

/*
ConcatSeqSelector: the selection state of one stream over one corpus (cs_select in sclang): a ConcatSeqRng,
the last unit (for \successor) and last-use stamps (for \lru).
*/
ConcatSeqSelector {
	var <corpus, <rng, <lastUnit = -1, stamps, clock = 0;

	*new { arg corpus, seed = 0; ^super.newCopyArgs(corpus).init(seed) }

	init { arg seed;
		rng = ConcatSeqRng(seed);
		stamps = Array.fill(corpus.numUnits, 0);
	}

	seed { arg s; rng.seed(s.floor.min(9007199254740992.0)); lastUnit = -1 }

	// Record unit u as played (by any means).
	played { arg u;
		lastUnit = u;
		clock = clock + 1;
		stamps[u] = clock;
	}

	/*
	A unit of `label` (< 0: any) by policy 0..3 (random, successor, lru, nearest); nil if the label has no
	units or is out of range.
	*/
	pick { arg label, policy = 0, target;
		var members, u, succ, best, bestD, dims;
		label = label.asInteger;
		if(label >= corpus.numLabels) { ^nil };
		members = if(label >= 0) { corpus.unitsOf(label) } { nil };
		if(members.notNil and: { members.isEmpty }) { ^nil };
		u = switch(policy,
			1, {
				succ = if(lastUnit >= 0) { corpus.successorOf(lastUnit) } { -1 };
				if(succ >= 0 and: { succ < corpus.numUnits } and: { label < 0 or: { corpus.labelOf(succ) == label } }) {
					succ
				} { this.prRandom(label, members) }
			},
			2, {
				if(label >= 0) {
					members.minItem { |m| stamps[m] } // ties: the first in member (= unit) order
				} {
					best = nil;
					corpus.numLabels.do { |k|
						var ms = corpus.unitsOf(k), h;
						if(ms.notEmpty) {
							h = ms.minItem { |m| stamps[m] };
							if(best.isNil or: { stamps[h] < stamps[best] }) { best = h };
						}
					};
					best
				}
			},
			3, {
				dims = this.prTarget(target);
				if(dims.isNil) { this.prRandom(label, members) } {
					bestD = inf;
					(members ?? { (0..corpus.numUnits - 1) }).do { |m|
						var d = corpus.normalisedDescriptorsOf(m), acc = 0;
						dims.do { |p| acc = acc + (d[p[0]] - p[1]).squared };
						if(acc < bestD) { bestD = acc; best = m };
					};
					best
				}
			},
			{ this.prRandom(label, members) }
		);
		this.played(u);
		^u
	}

	prRandom { arg label, members;
		if(label < 0) { ^rng.below(corpus.numUnits) };
		^members[rng.below(members.size)]
	}

	// target pairs as [[index, value], ...], or nil; throws an Error (one line) for a target targetPairs refuses
	prTarget { arg target;
		var pairs = this.targetPairs(target);
		if(pairs.isString) { Error(pairs).throw };
		^pairs
	}

	/*
	The `target` of policy \nearest as [[index, value], ...] (nil for nil or an empty Array), or a String (one
	line: "Pconcatunit: target ...") saying what is wrong and how to fix it: the target must be a flat Array of
	[descriptor, value] pairs (an even number of elements), each descriptor a name this corpus was analysed
	with or an index 0..numDescriptors-1, each value a finite number (a normalised value: see
	ConcatCorpus:normalise).
	*/
	targetPairs { arg target;
		var pairs, why;
		if(target.isNil) { ^nil };
		if(target.isString or: { target.isKindOf(SequenceableCollection).not } or: { target.size.odd }) {
			^"Pconcatunit: target % is not an Array of [descriptor, value] pairs, e.g. [\\loudness, 0.5, \\centroid, -1]".format(target.cs)
		};
		if(target.isEmpty) { ^nil };
		pairs = target.clump(2).collect { |p|
			var d = p[0], v = p[1];
			if(why.isNil) {
				if(d.isNumber) {
					if(d != d.floor or: { d < 0 } or: { d >= corpus.numDescriptors }) {
						why = "Pconcatunit: target descriptor index % is not one of %'s (0..%)".format(d, corpus, corpus.numDescriptors - 1)
					}
				} {
					d = try { corpus.descriptorIndex(d, "Pconcatunit") } { |e| why = e.errorString.replace("ERROR: ", ""); 0 }
				};
				if(why.isNil and: { v.isNumber.not or: { (v - v) != 0 } }) {
					why = "Pconcatunit: target value % for % is not a finite number; give a normalised value (ConcatCorpus:normalise converts a raw one)".format(v, p[0])
				};
			};
			[d.asInteger, v]
		};
		^why ? pairs
	}
}

/*
ConcatSeqUnit: the SynthDefs that play one unit of a corpus as a one-shot grain, and the event type \concatseq.

Event keys of \concatseq (besides the usual dur, amp, pan, out, group, lag, timingOffset):
  corpus   a ConcatCorpus with Buffers (loaded, or given buffer numbers by scoreLoadCommands for NRT)
  unit     the unit index (e.g. from Pconcatunit); or give
  label    and a random unit of that label is taken (thisThread's generator; use Pconcatunit for policies)
  rate     playback speed (negative: backwards from the unit's end)
  attack, release   seconds of the linear fade in / out (each at most half the grain)
  grainDur seconds; nil (default) = the whole unit at that rate
  concatseqFeed  set by Pseqpredict: the model state its label came from, told the unit played (played)
  flavour  \playbuf (default: PlayBuf over the corpus audio, frame positions exact below 2^24 = 349 s at 48 kHz),
           or \concatplay (the ConcatPlay UGen with unit:, exact positions in corpora of any length, cubic
           interpolation; needs the plugin)
The synth starts at the event's time plus the server latency, sample-accurately (OffsetOut), and frees itself.
*/
ConcatSeqUnit {
	*initClass {
		Class.initClassTree(Event);
		Event.addEventType(\concatseq, { |server|
			var corpus = ~corpus, u = ~unit, lab, len, rate, dur, units, flav;
			// no corpus, not a corpus, or a freed one: one line (once per corpus), then rests, never an error
			if(corpus.isKindOf(ConcatCorpus).not) {
				if(corpus.isNil) { "a \\concatseq event needs a corpus (a ConcatCorpus)".warn } {
					"a \\concatseq event needs a ConcatCorpus as corpus, not %".format(corpus).warn
				};
				corpus = nil
			} { if(corpus.isLoaded("a \\concatseq event").not) { corpus = nil } };
			if(corpus.notNil and: { u.isNil or: { u.isRest } }) {
				lab = ~label;
				if(lab.notNil and: { lab.isRest.not } and: { lab >= 0 }) {
					units = corpus.unitsOf(lab.asInteger);
					u = if(units.notEmpty) { units.choose };
				};
			};
			// a model with descriptor inputs (Pseqpredict) is fed the unit played for its label (a rest: none)
			if(corpus.notNil and: { ~concatseqFeed.notNil }) {
				~concatseqFeed.played(corpus, if(u.isNumber and: { u >= 0 } and: { u < corpus.numUnits }) { u.asInteger })
			};
			if(corpus.isNil or: { u.isNil } or: { u.isRest } or: { u < 0 } or: { u >= corpus.numUnits }) {
				~type = \rest;
				~eventTypes[\rest].value(server);
			} {
				u = u.asInteger;
				~unit = u;
				len = corpus.lengthOf(u);
				rate = (~rate ? 1).value;
				if(rate.abs < 1e-3) { rate = if(rate < 0) { -1e-3 } { 1e-3 } };
				dur = ~grainDur.value ?? { len / corpus.sampleRate / rate.abs };
				flav = ~flavour ? \playbuf;
				~instrument = ConcatSeqUnit.defName(corpus.numChannels, ~numChannels ? 2, flav);
				// the event needs the SynthDesc for its arguments: add the SynthDef when it is not known yet
				if(SynthDescLib.global.at(~instrument).isNil) {
					ConcatSeqUnit.def(corpus.numChannels, ~numChannels ? 2, flav).add
				};
				~buf = corpus.audioBuffer.bufnum;
				~unitBuf = corpus.unitBuffer.bufnum;
				~start = corpus.startOf(u);
				~frames = len;
				~grainDur = dur;
				~rate = rate;
				~sendGate = false;
				~eventTypes[\note].value(server);
			}
		}, (numChannels: 2, attack: 0.005, release: 0.005, rate: 1, amp: 0.5, flavour: \playbuf));
	}

	// Name of the SynthDef for a corpus of inChannels played to outChannels.
	*defName { arg inChannels = 1, outChannels = 2, flavour = \playbuf;
		^if(flavour == \concatplay) { "concatseq_cpunit_%".format(outChannels) } {
			"concatseq_unit_%_%".format(inChannels, outChannels)
		}.asSymbol
	}

	/*
	The SynthDef. Controls: out, buf (corpus audio Buffer), unitBuf (unit table Buffer, \concatplay only),
	unit, start (first frame), frames (unit length), rate, amp, pan, attack, release, grainDur (seconds).
	*/
	*def { arg inChannels = 1, outChannels = 2, flavour = \playbuf;
		^SynthDef(this.defName(inChannels, outChannels, flavour), {
			arg out = 0, buf = 0, unitBuf = -1, unit = 0, start = 0, frames = 1, rate = 1, amp = 0.5, pan = 0,
				attack = 0.005, release = 0.005, grainDur = 0.1;
			var d = grainDur.max(0.001), a = attack.clip(0, d * 0.5), r = release.clip(0, d * 0.5), sig, env;
			env = EnvGen.ar(Env([0, 1, 1, 0], [a, d - a - r, r]), doneAction: 2);
			if(flavour == \concatplay) {
				sig = ConcatPlay.ar(outChannels, [buf, unitBuf], Impulse.ar(0), unit: unit, rate: rate, amp: 1,
					attack: 0.001, release: 0.001, pan: pan, maxVoices: 1);
			} {
				sig = PlayBuf.ar(inChannels, buf, rate * BufRateScale.ir(buf), 1,
					Select.kr(rate < 0, [start, start + frames - 1]), 0);
				sig = case
					{ outChannels == 1 } { sig.asArray.sum }
					{ inChannels == 1 and: { outChannels == 2 } } { Pan2.ar(sig, pan) }
					{ inChannels == 1 } { PanAz.ar(outChannels, sig, pan) }
					{ inChannels == 2 and: { outChannels == 2 } } { Balance2.ar(sig[0], sig[1], pan) }
					{ sig.asArray.wrapExtend(outChannels) };
			};
			OffsetOut.ar(out, sig * env * amp);
		})
	}

	// Add the SynthDefs for these channel counts (both flavours when ConcatPlay is installed). Returns them.
	*add { arg inChannels = 1, outChannels = 2, libname;
		var defs = [this.def(inChannels, outChannels, \playbuf)];
		if(\ConcatPlay.asClass.notNil) { defs = defs.add(this.def(inChannels, outChannels, \concatplay)) };
		defs.do { |d| d.add(libname) };
		^defs
	}

	// Score entries that send the SynthDefs at time 0 (for NRT).
	*scoreCommands { arg inChannels = 1, outChannels = 2;
		var defs = [this.def(inChannels, outChannels, \playbuf)];
		if(\ConcatPlay.asClass.notNil) { defs = defs.add(this.def(inChannels, outChannels, \concatplay)) };
		defs.do { |d| d.add };
		^defs.collect { |d| [0.0, [\d_recv, d.asBytes]] }
	}
}
