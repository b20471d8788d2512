// Live coding with ConcatSeq: a model-driven corpus player in one line, for Ndef / NodeProxy / JITLib.
//
//   n = ~corpus.play(~model, temperature: 0.8, density: 12);   // an Ndef, playing
//   n.set(\temperature, 0.2, \gapless, 1);                    // named controls
//   n.xset(*ConcatSeqLive.bufferArgs(~otherCorpus, ~otherModel)); // swap corpus and model: crossfade
//
// The synth is SeqPredict (stepped by a trigger) feeding ConcatPlay. Corpus and model are controls holding buffer
// numbers (audioBuf, unitBuf, model), so a swap is a control change:
//  - click-free: NodeProxy:xset starts a second synth with the new buffers and crossfades the two over the
//    proxy's fadeTime (both play meanwhile: CPU x 2 for fadeTime), the old one is freed after. The new synth's
//    model starts from its reset state (the old state cannot move between synths).
//  - state hand-over: NodeProxy:set changes the buffers of the running synth. SeqPredict sees a new model buffer,
//    verifies it (8192 floats per block) and resets; ConcatPlay fades its voices out over 2 ms and continues with
//    the new corpus. One synth, no CPU doubling, but a 2 ms fade (audible on sustained material) and, for a big
//    model, -1 labels (silence) during verification.
//  - replacing the source (Ndef(\x, ConcatSeqLive.func(...))) crossfades like xset.

ConcatSeqLive {
	/*
	The synth function (for Ndef, NodeProxy, {}.play or SynthDef): numChannels of audio. Controls:
	  temperature (0..1000, 1), topK (0 = off), topP (1 = off), repetitionPenalty (1 = off) - SeqPredict's;
	  rate (playback speed, 1), density (units per second when not gapless, 8), gapless (> 0: units chained at the
	  corpus's own rhythm, SeqPredict stepped once per unit by ConcatPlay's next gate), amp (0.5), select
	  (ConcatPlay policy: 0 random, 1 successor, 2 least recently used; 1), pan (0), spread (0..1: random pan
	  per unit around pan, 0), attack, release (s), lead (s: how early the next gate rises, 0.03), seed
	  (-1 = random), prime (-1; >= 0 forces that label), audioBuf, unitBuf, model (buffer numbers). The graph is
	*graph's: SeqPredict is fed back the unit ConcatPlay played (what a model with descriptor inputs reads).
	Every control but seed and the buffers carries its ConcatSeqSpecs spec (topK and prime fitted to the corpus's
	labels), so NdefGui shows sliders over those ranges. anyCorpus: as for bufferArgs. Returns nil (one error
	line posted) when the model was trained on another corpus.
	*/
	*func { arg corpus, model, numChannels = 2, anyCorpus = false;
		var bufs = this.bufferArgs(corpus, model, anyCorpus);
		if(bufs.isNil) { ^nil };
		^{
			// each control carries its ConcatSeqSpecs spec (SynthDef metadata: what NdefGui shows)
			var sp = { |name| ConcatSeqSpecs.at(name, corpus) };
			var temperature = \temperature.kr(1, spec: sp.(\temperature)), topK = \topK.kr(0, spec: sp.(\topK)),
				topP = \topP.kr(1, spec: sp.(\topP)),
				penalty = \repetitionPenalty.kr(1, spec: sp.(\repetitionPenalty)),
				rate = \rate.kr(1, spec: sp.(\rate)), density = \density.kr(8, spec: sp.(\density)),
				gapless = \gapless.kr(0, spec: sp.(\gapless)), amp = \amp.kr(0.5, spec: sp.(\amp)),
				select = \select.kr(1, spec: sp.(\select)), pan = \pan.kr(0, spec: sp.(\pan)),
				spread = \spread.kr(0, spec: sp.(\spread)), attack = \attack.kr(0.005, spec: sp.(\attack)),
				release = \release.kr(0.02, spec: sp.(\release)), lead = \lead.kr(0.03, spec: sp.(\lead)),
				seed = \seed.ir(-1), prime = \prime.kr(-1, spec: sp.(\prime)),
				audioBuf = \audioBuf.kr(bufs[1]), unitBuf = \unitBuf.kr(bufs[3]), modelBuf = \model.kr(bufs[5]);
			this.graph(numChannels, audioBuf, unitBuf, modelBuf, temperature, topK, topP, penalty, rate, density,
				gapless, amp, select, pan, spread, attack, release, lead, seed, prime)[\sig]
		}
	}

	/*
	The graph of *func, for use inside a synth function (every argument a number or a control): SeqPredict
	(audio rate) stepped by trig, feeding ConcatPlay, with two feedback paths through LocalIn / LocalOut (so a
	synth holds one graph): ConcatPlay's next gate (the steps of a gapless chain) and ConcatPlay's unit output
	into SeqPredict's `unit` input, with the unit table as its `corpus`. A model with descriptor inputs
	(`concatseq train --desc-inputs`) is so fed, at each step, the descriptors and duration of the unit played for
	the label of the step before; other models ignore the unit. The feedback is one block late (LocalIn): a step
	at sample s reads the unit output of sample s - blockSize, which is the unit started at the step before
	provided two steps are at least one block apart (density <= sampleRate / blockSize, 750 units/s at 48 kHz and
	64 samples; in a gapless chain the step comes `lead` s, at most half a unit, after its unit started).
	tests/sc/live_desc.sh checks it step by step against SeqModelLang fed the same units.
	Returns an Event: sig (the numChannels audio outputs), label (SeqPredict's label, audio rate), unit (the
	unit SeqPredict reads at each step: the fed-back unit output, -1 before any), played (ConcatPlay's unit
	output), trig (the steps: the free trigger, or in a chain the next gate one block late).
	*/
	*graph { arg numChannels, audioBuf, unitBuf, modelBuf, temperature = 1, topK = 0, topP = 1, penalty = 1,
		rate = 1, density = 8, gapless = 0, amp = 0.5, select = 1, pan = 0, spread = 0, attack = 0.005,
		release = 0.02, lead = 0.03, seed = -1, prime = -1;
		var free, fb, next, seen, trig, label, sig, panv, played;
		free = Impulse.ar(density.max(0.01)) * (gapless <= 0);
		fb = LocalIn.ar(2, [0, -1]);
		next = fb[0];
		seen = fb[1];
		// one step per unit: the free trigger, or in a chain ConcatPlay's next gate (one block late: lead covers it)
		trig = Select.ar(gapless > 0, [free, next]);
		label = SeqPredict.ar(modelBuf, trig, temperature, topK, topP, prime, 0, seed, penalty, corpus: unitBuf,
			unit: seen);
		panv = (pan + (spread * TRand.ar(-1, 1, trig))).clip(-1, 1);
		sig = ConcatPlay.ar(numChannels, [audioBuf, unitBuf], free, label, rate: rate, amp: amp,
			attack: attack, release: release, select: select, pan: panv, gapless: gapless, lead: lead, seed: seed);
		played = ConcatPlay.unitOf(sig);
		LocalOut.ar([ConcatPlay.nextOf(sig), played]);
		^(sig: sig, label: label, unit: seen, played: played, trig: trig)
	}

	/*
	[\audioBuf, n, \unitBuf, n, \model, n] for a ConcatCorpus (or [audioBufnum, unitBufnum]) and a SeqModel
	(or a Buffer or buffer number): the arguments of set / xset that swap them. When both are ConcatSeq objects
	(a ConcatCorpus and a SeqModel or SeqModelLang) and anyCorpus is not true, the model must have been trained
	on this corpus (model.checkCorpus): else nil, after checkCorpus's one error line.
	*/
	*bufferArgs { arg corpus, model, anyCorpus = false;
		var cb, mb;
		if(this.corpusMatches(corpus, model, "ConcatSeqLive", anyCorpus).not) { ^nil };
		cb = ConcatPlay.corpusBuffers(corpus).collect { |b| b.asUGenInput };
		mb = if(model.isNil) { -1 } { model.asUGenInput };
		^[\audioBuf, cb[0], \unitBuf, cb[1], \model, mb]
	}

	/*
	True when `model` may play `corpus`: anyCorpus is true, or one of them is not a ConcatSeq object (a Buffer,
	a buffer number), or model.checkCorpus(corpus, who) holds (else it posted one error line: false).
	*/
	*corpusMatches { arg corpus, model, who, anyCorpus = false;
		if(anyCorpus == true or: { corpus.isKindOf(ConcatCorpus).not } or: { model.respondsTo(\checkCorpus).not }) { ^true };
		^model.checkCorpus(corpus, who)
	}

	/*
	An Ndef named `key` playing `corpus` with `model` (see *func), fadeTime seconds of crossfade for source
	changes and xset; `args`: initial control values (pairs); anyCorpus: as for bufferArgs. Returns the Ndef,
	playing on `out`, or nil (nothing is changed, one error line posted) when the model does not match.
	*/
	*ndef { arg key, corpus, model, numChannels = 2, fadeTime = 0.5, out = 0, args, anyCorpus = false;
		var func = this.func(corpus, model, numChannels, anyCorpus);
		if(func.isNil) { ^nil };
		// the Ndef made, its controls set before its source, and played, as follow's and answer's
		^ConcatSeqFollow.ndef(key, func, numChannels, fadeTime, out, args)
	}

	// A SynthDef of *func (for Synth, Score, NRT); nil when the model does not match (see bufferArgs).
	*synthDef { arg name, corpus, model, numChannels = 2, anyCorpus = false;
		var func = this.func(corpus, model, numChannels, anyCorpus);
		^func !? { func.asSynthDef(name: name ? \concatseq_live, fadeTime: 0) }
	}
}

+ ConcatCorpus {
	/*
	Play this corpus, driven by a SeqModel, in one line: an Ndef (default key \concatseq) with the named controls
	of ConcatSeqLive.func (temperature, topK, topP, rate, density, gapless, amp, select, ...). Give control values
	as keyword arguments; fadeTime is the crossfade for later changes of source or xset. anyCorpus: true plays
	a model trained on another corpus; else (default) a model whose corpus checksum differs from this corpus's
	is refused: nil, one error line, nothing plays.
	*/
	play { arg model, key = \concatseq, temperature = 1, topK = 0, rate = 1, density = 8, gapless = 0,
		amp = 0.5, select = 1, numChannels = 2, fadeTime = 0.5, out = 0, anyCorpus = false;
		^ConcatSeqLive.ndef(key, this, model, numChannels, fadeTime, out,
			[\temperature, temperature, \topK, topK, \rate, rate, \density, density, \gapless, gapless, \amp, amp,
				\select, select], anyCorpus)
	}
}
