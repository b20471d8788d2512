// ConcatSeq and SuperDirt / TidalCycles: a corpus becomes a SuperDirt sound.
//
//   ConcatSeq.addToDirt(~dirt, \walk, corpus, model);   // after SuperDirt has started
//   d1 $ s "walk*8"                                     -- the model chooses each label (temperature 1)
//   d1 $ s "walk*8" # cstemp 0.5                        -- at temperature 0.5 (per orbit model state)
//   d1 $ s "walk*8" # n "2 -1 -1 -1 2 -1 -1 -1"         -- n >= 0 primes (teacher forcing) every fourth event
//
// Without a model, n is the label (n absent or < 0: any unit). Tidal parameters
// (sc-classes/tidal/ConcatSeqParams.hs): cstemp (temperature, default 1), cstopk, cstopp, cspenalty, csseed
// (re-seeds the orbit's model when it changes), csreset (> 0 resets the orbit's model), cssel (selection policy
// 0 random, 1 successor, 2 least recently used). All start with "cs":
// no SuperDirt effect or Tidal parameter does. SuperDirt's own parameters keep their meaning: begin/end (a
// part of the unit), speed (negative plays backwards), pan, gain, orbit, cut, legato/sustain, effects.
//
// How it plugs in (SuperDirt classes/DirtEvent.sc, DirtSoundLibrary.sc, synths/core-modules.scd, commit
// 0c14168): addToDirt registers one event with DirtSoundLibrary:addSynth. When an event with s = name
// arrives, DirtEvent makes our event the proto of its environment; calcTimeSpan calls ~unitDuration, where we
// choose the label (model step, once per event) and the unit, and return the unit's duration (so sustain,
// begin/end and speed work as for samples); the core module 'sound' then calls our ~playInside (no ~buffer is
// set), which sends one synth (concatseq_dirt_<in>_<out>) into the event's group, inside SuperDirt's bundle (its
// latency). dirt_gate, cut groups, gain and every effect module apply as to any SuperDirt sound.

ConcatSeq {
	// per sound name and orbit: a ConcatSeqDirtVoice (model state and unit selector)
	classvar <voices;

	/*
	Make `corpus` (a loaded ConcatCorpus) the SuperDirt sound `name` of `dirt` (a SuperDirt). model: nil, a
	SeqModel, a SeqModelLang or a model file path; with a model every event steps it once (cstemp, default 1).
	numChannels: the orbits' channel count (default dirt.numChannels). anyCorpus: true plays a model trained on
	another corpus (else the model's corpus checksum must equal the corpus's: checkCorpus). Adds the SynthDef
	(sent to the running servers). Returns the event registered, or nil after one error line naming the bad
	argument (nothing is registered then).
	*/
	*addToDirt { arg dirt, name, corpus, model, numChannels, anyCorpus = false;
		var event, lib = if(dirt.isKindOf(Dictionary)) { dirt[\soundLibrary] } { dirt.tryPerform(\soundLibrary) };
		if(lib.isNil) {
			"ConcatSeq.addToDirt: argument 'dirt' must be a running SuperDirt (~dirt after SuperDirt.start), not %".format(dirt).error;
			^nil
		};
		numChannels = numChannels ?? { dirt.numChannels };
		event = this.dirtEvent(name, corpus, model, numChannels, anyCorpus);
		if(event.isNil) { ^nil };
		this.dirtSynthDef(corpus.numChannels, numChannels).add;
		lib.addSynth(name.asSymbol, event);
		^event
	}

	/*
	Check the arguments of addToDirt / dirtEvent: nil when they are usable, else the one-line reason. A model
	given as a path is read here (the result is the SeqModelLang: the second value).
	*/
	*prCheckDirtArgs { arg name, corpus, model, numChannels, anyCorpus;
		var lm;
		if((name.isString or: { name.isKindOf(Symbol) }).not or: { name.asString.isEmpty }) {
			^["argument 'name' must be a Symbol or String (the SuperDirt sound name), not %".format(name)]
		};
		if(corpus.isKindOf(ConcatCorpus).not) {
			^["argument 'corpus' must be a ConcatCorpus (ConcatCorpus.load(s, path, action)), not %".format(corpus.asCompileString)]
		};
		if(corpus.isLoaded("ConcatSeq.addToDirt", true).not) {
			^["% is not loaded on a server (load it with ConcatCorpus.load, or it was freed)".format(corpus)]
		};
		if(numChannels.isKindOf(Integer).not or: { numChannels < 1 }) {
			^["argument 'numChannels' must be a positive Integer, not %".format(numChannels)]
		};
		if(model.notNil and: { [SeqModel, SeqModelLang, String, Symbol].any { |k| model.isKindOf(k) }.not }) {
			^["argument 'model' must be nil, a SeqModel, a SeqModelLang or a model file path, not %".format(model)]
		};
		lm = model !? { try { SeqModelLang.from(model) } { |e| e } };
		if(lm.isKindOf(Exception)) { ^[lm.errorString.replace("ERROR: ", "")] };
		if(lm.notNil and: { anyCorpus != true } and: { lm.checkCorpus(corpus, "ConcatSeq.addToDirt").not }) {
			^[nil] // checkCorpus posted its line
		};
		^[nil, lm]
	}

	/*
	The sound event SuperDirt stores for `name` (see the file comment), after the argument checks of addToDirt
	(nil and one error line when one fails). Usable without SuperDirt by anything that calls ~unitDuration and
	~playInside the way DirtEvent does.
	*/
	*dirtEvent { arg name, corpus, model, numChannels = 2, anyCorpus = false;
		var checked = this.prCheckDirtArgs(name, corpus, model, numChannels, anyCorpus), lm;
		if(checked.size < 2) {
			checked[0] !? { ("ConcatSeq.addToDirt: " ++ checked[0]).error };
			^nil
		};
		lm = checked[1];
		name = name.asSymbol;
		voices = voices ?? { IdentityDictionary.new };
		voices[name] = IdentityDictionary.new; // a new registration starts every orbit afresh
		^(
			hash: name.identityHash,
			concatseqName: name,
			concatseqCorpus: corpus,
			concatseqModel: lm,
			unitDuration: {
				var u = ConcatSeq.prChoose(currentEnvironment);
				if(u.isNil) { 0 } { corpus.lengthOf(u) / corpus.sampleRate }
			},
			playInside: { |dirtEvent|
				var u = ~concatseqUnit ?? { ConcatSeq.prChoose(currentEnvironment) }, frames, begin;
				// a freed corpus: one line (ConcatCorpus:isLoaded), then silence, no error per event
				if(u.notNil and: { corpus.isLoaded("ConcatSeq (SuperDirt sound %)".format(name)) }) {
					frames = corpus.lengthOf(u);
					begin = (~begin ? 0).clip(0, 1);
					dirtEvent.sendSynth(ConcatSeq.dirtDefName(corpus.numChannels, ~numChannels ? numChannels), [
						out: ~out, buf: corpus.audioBuffer.bufnum,
						start: corpus.startOf(u) + (frames * begin).floor.min(frames - 1),
						speed: ~speed ? 1, endSpeed: ~endSpeed ? ~speed ? 1, pan: ~pan ? 0, sustain: ~sustain
					]);
				}
			}
		)
	}

	// The voice of sound `name` on orbit key `orbit` (created on first use).
	*voice { arg name, orbit, corpus, model;
		var byOrbit;
		voices = voices ?? { IdentityDictionary.new };
		byOrbit = voices[name] ?? { voices[name] = IdentityDictionary.new; voices[name] };
		^byOrbit[orbit] ?? { var v = ConcatSeqDirtVoice(corpus, model); byOrbit[orbit] = v; v }
	}

	// Forget every orbit's state (the next events start from reset models).
	*resetVoices { voices = nil }

	// Choose the label and unit of the event in `env` (once; stored as ~concatseqUnit / ~concatseqLabel).
	*prChoose { arg env;
		var orbit, v, u;
		if(env[\concatseqUnit].notNil) { ^env[\concatseqUnit] };
		orbit = env[\orbit];
		orbit = if(orbit.isNumber) { orbit.asInteger } { orbit.tryPerform(\orbitIndex) ? 0 };
		v = this.voice(env[\concatseqName], orbit, env[\concatseqCorpus], env[\concatseqModel]);
		u = v.choose(env);
		env[\concatseqUnit] = u;
		env[\concatseqLabel] = v.lastLabel;
		^u
	}

	*dirtDefName { arg inChannels = 1, outChannels = 2; ^"concatseq_dirt_%_%".format(inChannels, outChannels).asSymbol }

	/*
	The synth SuperDirt plays for one unit, following SuperDirt's sample synths (synths/core-synths.scd): out
	(the orbit's synth bus), buf, start (first frame), speed -> endSpeed over sustain, pan (-1..1), sustain (s).
	No gain, fades or effects here: dirt_gate and the modules apply them.
	*/
	*dirtSynthDef { arg inChannels = 1, outChannels = 2;
		^SynthDef(this.dirtDefName(inChannels, outChannels), {
			arg out = 0, buf = 0, start = 0, speed = 1, endSpeed = 1, pan = 0, sustain = 1;
			var rate = Line.kr(speed, endSpeed, sustain) * BufRateScale.ir(buf), sig;
			sig = PlayBuf.ar(inChannels, buf, rate, 1, start, 0);
			sig = sig * EnvGen.ar(Env.linen(0, sustain, 0.002), doneAction: 2);
			sig = case
				{ outChannels == 1 } { sig.asArray.sum }
				{ inChannels == 1 and: { outChannels == 2 } } { Pan2.ar(sig, pan) }
				{ inChannels == 1 } { PanAz.ar(outChannels, sig, pan) }
				{ inChannels == 2 and: { outChannels == 2 } } { Balance2.ar(sig[0], sig[1], pan) }
				{ sig.asArray.wrapExtend(outChannels) };
			Out.ar(out, sig)
		}, [\ir, \ir, \ir, \ir, \ir, \kr, \ir])
	}
}

/*
ConcatSeqDirtVoice: the state of one sound on one orbit: a SeqModelLang fork (when there is a model) and a
ConcatSeqSelector. choose(event) reads n, cstemp, cstopk, cstopp, cspenalty, csseed, csreset, cssel.
*/
ConcatSeqDirtVoice {
	var <corpus, <model, <selector, <lastLabel, lastSeed;

	*new { arg corpus, model; ^super.newCopyArgs(corpus, model !? { model.fork(0) }).init }

	init { selector = ConcatSeqSelector(corpus, 0); }

	/*
	The unit of the event `ev` (an Event with SuperDirt's values), or nil when its label has no units. With a
	model: one step per event at temperature cstemp (default 1), top-k cstopk, top-p cstopp, penalty cspenalty;
	n >= 0 (< the model's labels) primes it. Without one: n is the label (n absent or < 0: any unit). The unit
	is picked by cssel (0 random, 1 successor, 2 least recently used; default 0). A model with descriptor inputs
	is fed that unit (SeqModelLang:played: its descriptors and duration) before its next step.
	*/
	choose { arg ev;
		var n = ev[\n], temp = ev[\cstemp] ? 1, label, u, seed = ev[\csseed], sel = (ev[\cssel] ? 0).asInteger.clip(0, 2);
		n = if(n.isNumber) { n } { -1 };
		if(model.notNil) {
			if(seed.notNil and: { seed >= 0 } and: { seed != lastSeed }) { model.seed(seed); selector.seed(seed); lastSeed = seed };
			if((ev[\csreset] ? 0) > 0) { model.reset; if(lastSeed.notNil) { model.seed(lastSeed) } };
			label = model.nextLabel(temp, ev[\cstopk] ? 0, ev[\cstopp] ? 1, ev[\cspenalty] ? 1, nil,
				if(n >= 0 and: { n < model.vocab }) { n.floor } { -1 });
		} {
			// as SuperDirt wraps n over a bank; no n: any unit
			label = if(n < 0) { -1 } { n.floor.asInteger % corpus.numLabels };
		};
		lastLabel = label;
		u = selector.pick(label, sel);
		// a model with descriptor inputs reads, at its next step, the unit played for this label
		model !? { model.played(corpus, u) };
		^u
	}
}
