// ConcatListen: listens to a signal with the ears a ConcatSeq corpus was analysed with. Per completed unit (a
// frame, an onset event or a grain) it outputs the corpus's normalised descriptors, the nearest label and its
// distance, and a trigger. The server side is plugins/ConcatListen/ConcatListen.cpp over the C core
// plugins/core/cs_concatlisten.h (the streaming listener of `concatseq analyze`, cs_listener.h).
//
// Outputs (control rate): [trig, label, distance, d_1 .. d_n, age]; *kr returns them all, so out[3 .. 3+n-1] are
// the descriptors in the order asked for, and ConcatListen.targetOf(out) gives ConcatPlay's target pairs.

ConcatListen : MultiOutUGen {
	// Number of descriptor outputs.
	var <numSelect;

	// The listening modes, in number order (the `mode` input): frames, onset events, grains, attacks.
	*modes { ^#[\frames, \onsets, \grains, \attacks] }

	/*
	Listen. Returns [trig, label, distance, d_1 .. d_n, age], control rate.
	in: the signal to listen to, audio rate, linear full scale (+-1); non-finite or huge samples count as 0.
	corpus: a ConcatCorpus, or its unit-table Buffer (or bufnum). Read every control period: a table freed,
	        swapped or of an older format gives label -1 and trig 0 (one message on the server), the units of the
	        new table from its first complete unit on.
	mode: \frames (0): one unit per analysis frame (a hop of the corpus's frame analysis);
	      \onsets (1, the default): events between onsets, found by `concatseq analyze --segment onset`'s
	      spectral-flux detector with the corpus's own threshold;
	      \grains (2): fixed grains of the corpus's own unit length and hop;
	      \attacks (3): one report per onset the moment the \onsets detector first sees the attack (its
	      alarm), describing the attack itself (the last hop of input, with the spectrum of the frame whose
	      window ends there), so the answer to THIS attack comes within about one hop on a clean attack
	      (help: "Latency").
	      Read once, at synth start.
	descriptors: the descriptors to output, an Array of names (the corpus's descriptorNames when corpus is a
	        ConcatCorpus, else ConcatPlay.descriptorNames) or column indices; nil = every descriptor of the corpus.
	        Fixed at SynthDef build time (at most 64).
	reset: a rising edge (from <= 0 to > 0) ends the signal heard so far and starts a new one, as one source
	        ends and the next begins in `concatseq analyze`: the last units complete at once (the open onset event,
	        the grains that fit) and the analysis restarts from silence. Sample-accurate at audio rate; at control
	        rate it acts at the start of the control period. Read every sample (ar) or control period (kr).
	*/
	*kr { arg in, corpus, mode = \onsets, descriptors, reset = 0;
		^this.prNew('control', in, corpus, mode, descriptors, reset)
	}

	/*
	The same at audio rate: trig is a one-sample impulse at the very sample at which the unit was complete (its last
	sample and the analysis after it had arrived), when its label is found in that block (always, for corpora of up
	to 157 labels), else at the block's first sample; the other outputs take their new values for the whole block
	of the trigger (so a UGen that reads them once per block sees them); age counts to the trigger's sample. For
	triggers that keep the input's timing to the sample (no block jitter), e.g. into ConcatPlay.ar's trig.
	*/
	*ar { arg in, corpus, mode = \onsets, descriptors, reset = 0;
		^this.prNew('audio', in, corpus, mode, descriptors, reset)
	}

	*prNew { arg rate, in, corpus, mode, descriptors, reset;
		var table = this.tableOf(corpus), cols;
		if(descriptors.isNil) {
			descriptors = if(corpus.respondsTo(\descriptorNames) and: { corpus.descriptorNames.notNil }) {
				corpus.descriptorNames
			} { ConcatPlay.descriptorNames }
		};
		descriptors = descriptors.asArray;
		if(descriptors.size > 64) {
			Error("ConcatListen: argument 'descriptors' names % descriptors; at most 64".format(descriptors.size)).throw
		};
		cols = descriptors.collect { |d| ConcatPlay.descriptorIndex(d, corpus, "ConcatListen", \descriptors) };
		^this.multiNewList([rate, cols.size, in, table, this.modeInput(mode), reset] ++ cols)
	}

	// The `mode` input: a name from ConcatListen.modes -> its number; else as given.
	*modeInput { arg mode;
		var i;
		if(mode.isKindOf(Symbol) or: { mode.isString }) {
			i = this.modes.indexOf(mode.asSymbol);
			if(i.isNil) {
				Error("ConcatListen: argument 'mode' names an unknown mode %; one of %".format(mode, this.modes)).throw
			};
			^i
		};
		^mode
	}

	// The unit-table Buffer of a ConcatCorpus, or the Buffer / number given; throws naming 'corpus' otherwise.
	*tableOf { arg corpus;
		if(corpus.respondsTo(\unitBuffer)) {
			if(corpus.unitBuffer.isNil) {
				Error("ConcatListen: argument 'corpus' has no Buffers (load it with ConcatCorpus.load, or call scoreLoadCommands for NRT)").throw
			};
			^corpus.unitBuffer
		};
		if(corpus.isKindOf(Buffer) or: { corpus.isNumber } or: { corpus.isKindOf(UGen) }) { ^corpus };
		Error("ConcatListen: argument 'corpus' must be a ConcatCorpus or a unit-table Buffer, not %".format(corpus)).throw
	}

	// The ConcatListen instance behind the outputs returned by *kr or *ar.
	*sourceOf { arg out;
		var first = out;
		while { first.isSequenceableCollection } { first = first[0] };
		if(first.isKindOf(OutputProxy).not or: { first.source.isKindOf(ConcatListen).not }) {
			Error("ConcatListen: % is not the output of ConcatListen.kr or .ar".format(out)).throw
		};
		^first.source
	}

	// ConcatPlay's target from the outputs of *kr: [column, descriptor output, ...] for every descriptor output.
	*targetOf { arg out;
		var src = this.sourceOf(out);
		^src.columns.collect { |c, i| [c, src.channels[3 + i]] }.flatten
	}

	// The trigger, label, distance, descriptor and age outputs of the outputs returned by *kr.
	*trigOf { arg out; ^this.sourceOf(out).channels[0] }
	*labelOf { arg out; ^this.sourceOf(out).channels[1] }
	*distanceOf { arg out; ^this.sourceOf(out).channels[2] }
	*descriptorsOf { arg out; var src = this.sourceOf(out); ^src.channels.copyRange(3, 2 + src.numSelect) }
	*ageOf { arg out; var src = this.sourceOf(out); ^src.channels[3 + src.numSelect] }

	// The corpus columns of the descriptor outputs, in output order.
	columns { ^inputs.drop(4) }

	init { arg argNumSelect ... theInputs;
		numSelect = argNumSelect;
		inputs = theInputs;
		^this.initOutputs(numSelect + 4, rate)
	}

	// Names the bad argument; then the usual input checks.
	checkInputs {
		if(inputs[0].rate != \audio) {
			^"argument 'in' must be audio rate (the listener analyses every sample), not %".format(inputs[0].rate)
		};
		if(inputs[1].rate == \audio) { ^"argument 'corpus' must not be audio rate (a Buffer number)" };
		if(inputs[2].rate != \scalar) { ^"argument 'mode' must be a constant: it is read once, when the synth starts" };
		if(inputs[2].isNumber and: { inputs[2] < 0 or: { inputs[2] >= 4 } }) {
			^"argument 'mode' must be 0 (\\frames), 1 (\\onsets), 2 (\\grains) or 3 (\\attacks), not %".format(inputs[2])
		};
		inputs.drop(4).do { |c|
			if(c.rate != \scalar) { ^"argument 'descriptors' must be constants: they are read once, when the synth starts" };
		};
		^this.checkValidInputs
	}
}
