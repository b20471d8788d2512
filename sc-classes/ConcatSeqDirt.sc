// ConcatSeq and SuperDirt / TidalCycles: a corpus becomes a SuperDirt sound.
//
//   ConcatSeq.addToDirt(~dirt, \walk, corpus, model);   // after SuperDirt has started
//   d1 $ s "walk*8" # n "<0 3 5>"                       -- units of label 0, 3, 5
//   d1 $ s "walk*8" # cstemp 0.9                        -- the model chooses each label (per orbit state)
//   d1 $ s "walk*8" # cstemp 0.9 # n "<2 -1 -1 -1>"     -- n >= 0 primes (teacher forcing), -1 lets it draw
//
// Tidal parameters (sc-classes/tidal/ConcatSeqParams.hs): cstemp (temperature; its presence turns the model
// on), cstopk, cstopp, cspenalty, csseed (re-seeds the orbit's model when it changes), csreset (> 0 resets the
// orbit's model), cssel (selection policy 0 random, 1 successor, 2 least recently used). All start with "cs":
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
	SeqModel, a SeqModelLang or a model file path; with a model, events that carry cstemp step it once each.
	numChannels: the orbits' channel count (default dirt.numChannels). Adds the SynthDef (sent to the running
	servers). Returns the event registered.
	*/
	*addToDirt { arg dirt, name, corpus, model, numChannels;
		var event;
		numChannels = numChannels ?? { dirt.numChannels };
		event = this.dirtEvent(name, corpus, model, numChannels);
		this.dirtSynthDef(corpus.numChannels, numChannels).add;
		dirt.soundLibrary.addSynth(name.asSymbol, event);
		^event
	}

	/*
	The sound event SuperDirt stores for `name` (see the file comment). Usable without SuperDirt by anything
	that calls ~unitDuration and ~playInside the way DirtEvent does.
	*/
	*dirtEvent { arg name, corpus, model, numChannels = 2;
		var lm = model !? { SeqModelLang.from(model) };
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
				if(u.notNil) {
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

	choose { arg ev;
		var n = ev[\n], temp = ev[\cstemp], label, seed = ev[\csseed], sel = (ev[\cssel] ? 0).asInteger.clip(0, 2);
		n = if(n.isNumber) { n } { -1 };
		if(model.notNil and: { temp.notNil }) {
			if(seed.notNil and: { seed >= 0 } and: { seed != lastSeed }) { model.seed(seed); selector.seed(seed); lastSeed = seed };
			if((ev[\csreset] ? 0) > 0) { model.reset; if(lastSeed.notNil) { model.seed(lastSeed) } };
			label = model.nextLabel(temp, ev[\cstopk] ? 0, ev[\cstopp] ? 1, ev[\cspenalty] ? 1, nil,
				if(n >= 0 and: { n < model.vocab }) { n.floor } { -1 });
		} {
			if(n < 0) { ^nil };
			label = n.floor.asInteger % corpus.numLabels; // as SuperDirt wraps n over a bank
		};
		lastLabel = label;
		^selector.pick(label, sel)
	}
}
