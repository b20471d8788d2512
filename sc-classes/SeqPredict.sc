// SeqPredict: samples the next label of a ConcatSeq sequence model (a SeqModel, or a Buffer holding a model
// file) at each trigger. The server side is plugins/SeqPredict/SeqPredict.cpp over the C core.
//
// The UGen always has three outputs: label, probability, entropy (bits). So that the common case reads
// naturally, *kr and *ar return the label alone:
//     var label = SeqPredict.kr(model, trig);
// and *krInfo / *arInfo return all three, label first:
//     # label, prob, entropy = SeqPredict.krInfo(model, trig);

SeqPredict : MultiOutUGen {
	// Input names in server order (for checkInputs messages).
	classvar <inputNames;
	// The server side's limits (plugins/core/cs_seqpredict.h): the work budget in multiply-adds per sample of a
	// block, the trigger queue, the history length and the weights verified per block.
	classvar <budgetPerSample = 31250, <queueSize = 128, <maxHistory = 64, <verifyFloatsPerBlock = 8192;

	*initClass {
		inputNames = #[\model, \trig, \temperature, \topK, \topP, \prime, \reset, \seed, \repetitionPenalty,
			\historyLen, \mask, \corpus, \guidance, \targetBuf, \numTargetPairs];
	}

	/*
	The next label at each trigger, control rate. Returns the label (an OutputProxy; an Array of them under
	multichannel expansion). Arguments: see *krInfo.
	*/
	*kr { arg model, trig = 0, temperature = 1, topK = 0, topP = 1, prime = -1, reset = 0, seed = -1,
		repetitionPenalty = 1, historyLen = 8, mask = -1, corpus, target, guidance = 0, cache = 0, unit = -1;
		^this.labelOf(this.prNew('control', model, trig, temperature, topK, topP, prime, reset, seed,
			repetitionPenalty, historyLen, mask, corpus, target, guidance, cache, unit))
	}

	/*
	The next label at each trigger, audio rate (sample-accurate: a trigger steps the model at its own sample and
	the label changes there). Returns the label. Arguments: see *krInfo.
	*/
	*ar { arg model, trig = 0, temperature = 1, topK = 0, topP = 1, prime = -1, reset = 0, seed = -1,
		repetitionPenalty = 1, historyLen = 8, mask = -1, corpus, target, guidance = 0, cache = 0, unit = -1;
		^this.labelOf(this.prNew('audio', model, trig, temperature, topK, topP, prime, reset, seed,
			repetitionPenalty, historyLen, mask, corpus, target, guidance, cache, unit))
	}

	/*
	All three outputs, control rate: [label, probability, entropy]. The label is held between steps; it is
	ConcatSeqFormat.labelNone (-1: ConcatPlay rests) while there is no usable model, and ConcatSeqFormat.labelAny
	(-2: ConcatPlay plays any unit) once the model is ready and before the first step.
	model: a SeqModel, a Buffer or a buffer number holding a model file; re-read every block.
	trig: a step on every positive-going edge (previous <= 0, this > 0). At audio rate every edge in the block
	      counts. Edges beyond the model's work budget per block (budgetPerSample) wait for the next blocks, in
	      order; beyond queueSize waiting edges they are dropped (one message each).
	temperature: 0 (always the most probable label) .. 1000; 1 = the model's own distribution. Read at each step.
	topK: keep only the k most probable labels; 0 = off. Read at each step.
	topP: nucleus sampling, keep the smallest set of labels holding this probability mass, 0..1; 1 = off.
	prime: >= 0 at a step: teacher forcing - this label (floored) is fed to the model and output instead of a
	       sampled one; -1 = sample. Out of range: sampled instead (one message).
	reset: positive-going edge clears the model's state and the history (and re-seeds, see seed).
	seed: >= 0 makes the sequence deterministic (the generator is seeded when the model becomes ready and at
	      every reset); < 0 takes a seed from the synth's random generator (see RandSeed).
	repetitionPenalty: CTRL-style penalty on labels in the history, 0..100; 1 = off, > 1 avoids repeats.
	historyLen: how many past labels (0..64) the penalty looks at. Read at each step.
	mask: a Buffer (or number) of at least numLabels values, label i allowed when value i > 0; -1 = none.
	corpus: for guidance: a ConcatCorpus (its unit-table Buffer), a unit-table Buffer or buffer number, or nil /
	        -1 (none: no guidance). The table's listening section (version 3, `concatseq analyze`) gives each
	        label's centroid and the clustering weights; re-read every block. An older table: guidance is off,
	        one message naming `concatseq analyze --force`.
	target: the descriptor target, as ConcatPlay's: nil, a Buffer (or number) of normalised descriptor values
	        (NaN skips one), or an Array of pairs [descriptor, value, ...], descriptor a name (of the corpus's
	        descriptorNames when corpus is a ConcatCorpus, else ConcatPlay.descriptorNames) or an index, value a
	        normalised value (a number or a control-rate UGen, e.g. ConcatListen's outputs). Read every block; a
	        step uses the target of the block it runs in.
	guidance: >= 0, read at each step (at the trigger's sample): the next label is drawn from
	        logits_k - guidance * d2(target, centroid_k) / 2 (sigma = 1 normalised unit; d2 the weighted mean
	        squared difference over the target's descriptors). 0 (default) = the model alone, bit for bit; large
	        (100) = the label nearest to the target. NaN, inf, < 0 -> 0; at most 1e6.
	cache: 0..1, read at each step (at the trigger's sample): the weight of the label cache (decayed counts of
	        the labels played or primed since the reset, half-life 64 labels) in the next label's distribution,
	        (1 - cache) p_model + cache p_cache. 0 (default) = off, bit for bit; a reset empties the cache.
	unit: the index of the unit played for the last label (ConcatPlay's unit output fed back, e.g. through
	        LocalIn or a control bus), read at each step (at the trigger's sample), by a model with descriptor
	        inputs only (`concatseq train --desc-inputs`): before predicting, the network is fed the last label
	        with that unit's normalised descriptors and duration, read from the corpus table (so `corpus` must be
	        given). -1 (default) or not a unit of the corpus = the label's centroid. Ignored by other models.
	*/
	*krInfo { arg model, trig = 0, temperature = 1, topK = 0, topP = 1, prime = -1, reset = 0, seed = -1,
		repetitionPenalty = 1, historyLen = 8, mask = -1, corpus, target, guidance = 0, cache = 0, unit = -1;
		^this.prNew('control', model, trig, temperature, topK, topP, prime, reset, seed,
			repetitionPenalty, historyLen, mask, corpus, target, guidance, cache, unit)
	}

	/*
	All three outputs, audio rate: [label, probability, entropy]. Arguments: see *krInfo.
	*/
	*arInfo { arg model, trig = 0, temperature = 1, topK = 0, topP = 1, prime = -1, reset = 0, seed = -1,
		repetitionPenalty = 1, historyLen = 8, mask = -1, corpus, target, guidance = 0, cache = 0, unit = -1;
		^this.prNew('audio', model, trig, temperature, topK, topP, prime, reset, seed,
			repetitionPenalty, historyLen, mask, corpus, target, guidance, cache, unit)
	}

	// multiNew with the guidance inputs: corpus (its unit-table Buffer or -1), guidance, then the target as
	// ConcatPlay.targetInputs gives it ([targetBuf, numPairs, pairs...]).
	*prNew { arg rate, model, trig, temperature, topK, topP, prime, reset, seed, repetitionPenalty, historyLen, mask,
		corpus, target, guidance, cache, unit;
		^this.multiNewList([rate, model, trig, temperature, topK, topP, prime, reset, seed, repetitionPenalty,
			historyLen, mask, this.corpusInput(corpus), guidance ? 0] ++ ConcatPlay.targetInputs(target, corpus, "SeqPredict")
			++ [cache ? 0, unit ? -1])
	}

	// The `corpus` input: nil -> -1; a ConcatCorpus -> its unit-table Buffer; a Buffer, number or UGen as it is.
	*corpusInput { arg corpus;
		if(corpus.isNil) { ^-1 };
		if(corpus.respondsTo(\unitBuffer)) {
			if(corpus.unitBuffer.isNil) {
				Error("SeqPredict: argument 'corpus' has no Buffers (load it with ConcatCorpus.load, or call scoreLoadCommands for NRT)").throw
			};
			^corpus.unitBuffer
		};
		if(corpus.isKindOf(Buffer) or: { corpus.isNumber } or: { corpus.isKindOf(UGen) }) { ^corpus };
		Error("SeqPredict: argument 'corpus' must be a ConcatCorpus, a unit-table Buffer, a buffer number or nil, not %".format(corpus)).throw
	}

	// The label output(s) of what multiNew returned (recursing through multichannel expansion).
	*labelOf { arg out;
		if(out.isKindOf(OutputProxy)) { ^out };
		if(out.notEmpty and: { out[0].isKindOf(OutputProxy) }) { ^out[0] };
		^out.collect { |o| this.labelOf(o) }
	}

	init { arg ... theInputs;
		inputs = theInputs;
		^this.initOutputs(3, rate)
	}

	// Names the bad argument; then the usual input checks.
	checkInputs {
		var check = { |index, test, what|
			var in = inputs[index];
			if(in.isNumber and: { test.(in).not }) {
				^"argument '%' must be %, not %".format(inputNames[index], what, in)
			}
		};
		if(inputs.size < (inputNames.size + 2) or: { (inputs.size - inputNames.size - 2).odd }) {
			^"needs % inputs (%, then target pairs, then cache and unit), got %".format(inputNames.size + 2, inputNames.join(", "), inputs.size)
		};
		if(inputs[inputs.size - 2].isNumber and: { (inputs[inputs.size - 2] >= 0 and: { inputs[inputs.size - 2] <= 1 }).not }) {
			^"argument 'cache' must be 0..1 (0 = off), not %".format(inputs[inputs.size - 2])
		};
		if(inputs.last.isNumber and: { inputs.last < -1 }) {
			^"argument 'unit' must be a unit index >= 0, or -1 (unknown), not %".format(inputs.last)
		};
		[0, 10, 11, 13].do { |i|
			if(inputs[i].rate == \audio) {
				^"argument '%' must not be audio rate (it is a buffer number, read once per block)".format(inputNames[i])
			}
		};
		if(inputs[14].rate != \scalar) {
			^"argument 'target' must have a fixed number of pairs (numTargetPairs is read as a constant)"
		};
		check.(12, { |x| x >= 0 }, ">= 0 (0 = no guidance)");
		check.(0, { |x| x >= 0 and: { x.frac == 0 } }, "a SeqModel, a Buffer or a buffer number >= 0");
		check.(2, { |x| x >= 0 and: { x <= 1000 } }, "0..1000");
		check.(3, { |x| x >= 0 }, ">= 0 (0 = off)");
		check.(4, { |x| x >= 0 and: { x <= 1 } }, "0..1");
		check.(8, { |x| x >= 0 and: { x <= 100 } }, "0..100 (1 = off)");
		check.(9, { |x| x >= 0 and: { x <= maxHistory } }, "0..%".format(maxHistory));
		check.(10, { |x| x == -1 or: { x >= 0 and: { x.frac == 0 } } }, "a Buffer, a buffer number or -1");
		^this.checkValidInputs
	}
}
