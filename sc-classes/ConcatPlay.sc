// ConcatPlay: plays the units of a ConcatSeq corpus as grains, chosen by label and selection policy.
// The server side is plugins/ConcatPlay/ConcatPlay.cpp over the C core plugins/core/cs_concatplay.h and
// cs_player.h.
//
// Outputs: numChannels audio channels, then the index of the last unit started (held, -1 before any) and the
// "next" gate of a gapless chain. *ar returns the audio channels only (a single OutputProxy when
// numChannels == 1, like PlayBuf); reach the other two with ConcatPlay.unitOf(sig) and ConcatPlay.nextOf(sig).

ConcatPlay : MultiOutUGen {
	// Number of audio channels of this instance.
	var <numAudio;

	/*
	The descriptor names a `target` pair may use when no corpus tells them: every descriptor a unit table can
	hold, in column order (ConcatSeqFormat.descriptorNames, generated from the C core). With a ConcatCorpus the
	names are the corpus's own (ConcatCorpus:descriptorNames, the bundle's selection, in its column order).
	*/
	*descriptorNames { ^ConcatSeqFormat.descriptorNames }

	/*
	Play corpus units. Returns the numChannels audio outputs.
	numChannels: Integer 1..64 (fixed at SynthDef build time).
	corpus: a ConcatCorpus, or [audioBufnum, unitTableBufnum] (Buffers or numbers).
	trig: a unit starts on every positive-going edge; sample-accurate at audio rate.
	label: label to choose from, read at each start: 0 .. numLabels-1; \any or ConcatSeqFormat.labelAny (-2, the
	       default; anything below -1 too) for any unit; \none, \rest or ConcatSeqFormat.labelNone (-1, what
	       SeqPredict outputs without a usable model) rests: nothing starts, no message.
	unit: >= 0 plays this unit (overrides label and select); read at each start.
	rate: playback speed and transposition; negative plays backwards from the unit's end; |rate| 1/64..64.
	amp: linear gain, read at each start.
	attack, release: seconds (0..10), read at each start; release is also the crossfade of a gapless chain,
	        centred on the boundary between two units.
	select: a selection policy by number or by name, read at each start; the names, in number order, are
	        ConcatSeqFormat.selectPolicies (generated from the core's policy table, cs_select.h).
	pan: equal-power pan (Pan2 law for 2 channels, PanAz for more), read at each start.
	dur: seconds; > 0 overrides the unit's length; read at each start.
	gapless: > 0 chains units without gaps: each unit's first frame sounds exactly one unit length after the
	        previous one's (the corpus's own tempo), the crossfade centred on the boundary.
	lead: seconds before a chained start at which the next gate rises (at most half the unit's step).
	seed: >= 0 seeds the random choices (same seed, same choices); -1 takes a seed from the synth's generator.
	maxVoices: 1..1024 simultaneous voices (fixed at synth start); the oldest is stolen with a 2 ms fade.
	target: for select 3: nil, a Buffer (or bufnum) of normalised descriptor values, or an Array of
	        pairs [descriptor, value, ...] where descriptor is an index or a name (the corpus's
	        descriptorNames when corpus is a ConcatCorpus, else ConcatPlay.descriptorNames) and value a
	        normalised value (see ConcatCorpus:normalise). Read once per block.
	*/
	*ar { arg numChannels = 1, corpus, trig = 0, label, unit = -1, rate = 1, amp = 1,
		attack = 0.005, release = 0.005, select = 0, pan = 0, dur = 0, gapless = 0, lead = 0.03,
		seed = -1, maxVoices = 64, target;
		var bufs, tgt, out;
		if(numChannels.isKindOf(Integer).not or: { numChannels < 1 } or: { numChannels > 64 }) {
			Error("ConcatPlay: argument 'numChannels' must be an Integer from 1 to 64, not %".format(numChannels)).throw
		};
		bufs = this.corpusBuffers(corpus);
		tgt = this.targetInputs(target, corpus);
		out = this.multiNewList(['audio', numChannels, bufs[0], bufs[1], trig, this.labelInput(label), unit, rate,
			amp, attack, release, this.selectInput(select), pan, dur, gapless, lead, seed, maxVoices] ++ tgt);
		^this.audioOf(out)
	}

	// The `label` input: nil or \any -> ConcatSeqFormat.labelAny; \none or \rest -> labelNone; else as given.
	*labelInput { arg label;
		if(label.isNil or: { label == \any }) { ^ConcatSeqFormat.labelAny };
		if(label == \none or: { label == \rest }) { ^ConcatSeqFormat.labelNone };
		if(label.isKindOf(Symbol) or: { label.isString }) {
			Error("ConcatPlay: argument 'label' must be a number, a UGen, \\any or \\none, not %".format(label)).throw
		};
		^label
	}

	// The `select` input: a policy name from ConcatSeqFormat.selectPolicies -> its number; else as given.
	*selectInput { arg select;
		var i;
		if(select.isKindOf(Symbol) or: { select.isString }) {
			i = ConcatSeqFormat.selectPolicies.indexOf(select.asSymbol);
			if(i.isNil) {
				Error("ConcatPlay: argument 'select' names an unknown policy %; one of %".format(select,
					ConcatSeqFormat.selectPolicies)).throw
			};
			^i
		};
		^select
	}

	// [audio buffer, unit table buffer] from a ConcatCorpus or a pair; throws naming 'corpus' otherwise.
	*corpusBuffers { arg corpus;
		if(corpus.respondsTo(\audioBuffer) and: { corpus.respondsTo(\unitBuffer) }) {
			if(corpus.audioBuffer.isNil or: { corpus.unitBuffer.isNil }) {
				Error("ConcatPlay: argument 'corpus' has no Buffers (load it with ConcatCorpus.load, or call scoreLoadCommands for NRT)").throw
			};
			^[corpus.audioBuffer, corpus.unitBuffer]
		};
		if(corpus.isSequenceableCollection and: { corpus.size == 2 }) { ^corpus };
		Error("ConcatPlay: argument 'corpus' must be a ConcatCorpus or [audioBufnum, unitTableBufnum], not %".format(corpus)).throw;
	}

	// The target inputs: [targetBuf, numPairs, pairs...]. Names are looked up in the corpus's descriptorNames
	// when it has them (a ConcatCorpus), else in ConcatPlay.descriptorNames.
	*targetInputs { arg target, corpus, who = "ConcatPlay";
		var pairs;
		if(target.isNil) { ^[-1, 0] };
		if(target.isKindOf(Buffer) or: { target.isNumber } or: { target.isKindOf(UGen) }) { ^[target, 0] };
		if(target.isSequenceableCollection and: { target.size.even }) {
			pairs = target.clump(2).collect { |p| [this.descriptorIndex(p[0], corpus, who, \target), p[1]] };
			^[-1, pairs.size] ++ pairs.flatten
		};
		Error(who ++ ": argument 'target' must be nil, a Buffer or an Array of [descriptor, value] pairs, not %".format(target)).throw;
	}

	/*
	The column of descriptor `d` (a name or a number) for a UGen input: a name is looked up in the corpus's
	descriptorNames when it has them (a ConcatCorpus), else in ConcatPlay.descriptorNames; a number or a UGen is
	returned as it is. Throws an Error naming the class `who` and its argument `argName` for an unknown name.
	Shared by ConcatPlay's target and ConcatListen's descriptors.
	*/
	*descriptorIndex { arg d, corpus, who = "ConcatPlay", argName = \target;
		var names, i;
		if((d.isKindOf(Symbol) or: { d.isString }).not) { ^d };
		names = if(corpus.respondsTo(\descriptorNames) and: { corpus.descriptorNames.notNil }) {
			corpus.descriptorNames
		} { this.descriptorNames };
		i = names.indexOf(d.asSymbol);
		if(i.isNil) {
			Error("%: argument '%' names descriptor %, which the corpus does not have; it has %".format(who, argName,
				d, names)).throw
		};
		^i
	}

	// The audio part of what multiNewList returned (recursing through multichannel expansion).
	*audioOf { arg out;
		var src;
		if(out.isKindOf(OutputProxy)) { ^out };
		if(out.notEmpty and: { out[0].isKindOf(OutputProxy) }) {
			src = out[0].source;
			^if(src.numAudio == 1) { out[0] } { out.keep(src.numAudio) }
		};
		^out.collect { |o| this.audioOf(o) }
	}

	// The ConcatPlay instance behind the audio returned by *ar.
	*sourceOf { arg sig;
		var first = sig;
		while { first.isSequenceableCollection } { first = first[0] };
		if(first.isKindOf(OutputProxy).not or: { first.source.isKindOf(ConcatPlay).not }) {
			Error("ConcatPlay: % is not the output of ConcatPlay.ar".format(sig)).throw
		};
		^first.source
	}

	// The held index of the last unit started (-1 before any), audio rate, from the audio returned by *ar.
	*unitOf { arg sig; ^this.sourceOf(sig).unitOutput }

	// The next gate of a gapless chain (audio rate), from the audio returned by *ar.
	*nextOf { arg sig; ^this.sourceOf(sig).nextTrig }

	// The unit-index output of this instance.
	unitOutput { ^channels[numAudio] }

	// The next-gate output of this instance.
	nextTrig { ^channels[numAudio + 1] }

	init { arg argNumChannels ... theInputs;
		numAudio = argNumChannels;
		inputs = theInputs;
		^this.initOutputs(argNumChannels + 2, rate)
	}

	// Names the bad argument; then the usual input checks.
	checkInputs {
		var names = #[\audioBuffer, \unitBuffer, \trig, \label, \unit, \rate, \amp, \attack, \release, \select,
			\pan, \dur, \gapless, \lead, \seed, \maxVoices, \targetBuf, \numTargetPairs];
		[0, 1, 16].do { |i|
			if(inputs[i].rate == \audio) {
				^"argument '%' must not be audio rate (a Buffer number)".format(if(i < 2) { \corpus } { \target })
			}
		};
		[14, 15, 17].do { |i|
			if(inputs[i].rate != \scalar) {
				^"argument '%' must be a constant: it is read once, when the synth starts".format(names[i])
			}
		};
		if(inputs[15].isNumber and: { inputs[15] < 1 or: { inputs[15] > 1024 } }) {
			^"argument 'maxVoices' must be 1..1024, not %".format(inputs[15])
		};
		^this.checkValidInputs
	}
}
