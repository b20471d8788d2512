// Playing with a performer (issue 10): the corpus follows an input, and the model answers it.
//
//   n = ~corpus.follow(input: ~buf);                        // live mosaicing: each unit heard -> the nearest unit
//   n = ~corpus.follow(input: 0, model: ~model, guidance: 1); // the model chooses the label, guided by the input
//   n = ~corpus.answer(~model, input: 0);                    // call and response: the model continues the player
//
// Both are Ndefs like ConcatCorpus:play (ConcatSeqLive.sc), built from the functions of ConcatSeqFollow, whose
// synths are: input -> ConcatListen (the corpus's own analysis: descriptors, label, trigger per unit heard) ->
// SeqPredict (label; guided by the heard descriptors, or primed with the heard labels) -> ConcatPlay (the unit
// of that label nearest to the heard descriptors). The offline twin of follow is `concatseq mosaic` (the same
// core code, block by block). `input` is what the synth listens to:
//   an Integer        a hardware input channel (SoundIn.ar(input));
//   a Bus             an audio Bus (In.ar, its channels mixed to mono);
//   a Buffer          a sound file standing in for the performer, looped (PlayBuf; channels mixed to mono);
//   a Function        called inside the synth function, returning the audio signal (mixed to mono).

ConcatSeqFollow {
	/*
	The mono audio signal of `input` (see the top of this file), for use inside a synth function. Throws an
	Error naming the argument when input is none of those.
	*/
	*inputOf { arg input;
		var sig;
		sig = case
		{ input.isKindOf(Function) } { input.value }
		{ input.isKindOf(Buffer) } { PlayBuf.ar(input.numChannels ? 1, input, BufRateScale.kr(input), loop: 1) }
		{ input.isKindOf(Bus) } {
			if(input.rate != \audio) { Error("ConcatSeqFollow: argument 'input' is a control-rate Bus; give an audio Bus").throw };
			In.ar(input.index, input.numChannels)
		}
		{ input.isKindOf(Integer) } { SoundIn.ar(input) }
		{ Error("ConcatSeqFollow: argument 'input' must be an input channel (Integer), an audio Bus, a Buffer or a Function returning audio, not %".format(input)).throw };
		sig = sig.asArray;
		^if(sig.size == 1) { sig[0] } { sig.sum / sig.size }
	}

	/*
	The synth function of ConcatCorpus:follow: numChannels of audio. ConcatListen hears `input` in `mode`
	(\frames, \onsets, \grains or \attacks, see ConcatListen) and reports `descriptors` (names of the corpus's
	descriptorNames; nil = its clustering descriptors, see ConcatCorpus:followDescriptors) for every unit heard;
	at each, ConcatPlay starts the unit nearest to those descriptors (select \nearest) among all units, or,
	with a model, among the units of the label SeqPredict chooses, its logits guided towards the heard
	descriptors by `guidance` (0 = the model alone, large = the nearest label; SeqPredict's guidance input).
	A model with descriptor inputs is fed the unit played for the label before (see followGraph).
	Controls: guidance (0), temperature (1), amp (0.5), rate (1), attack (0.005), release (0.02), pan (0),
	dry (0: the level of the input mixed in), select (\nearest), seed (-1 = random; read at start).
	Throws (naming the argument) when input or descriptors are not usable.
	*/
	*followFunc { arg corpus, model, input, mode = \onsets, descriptors, numChannels = 2;
		^{
			var guidance = \guidance.kr(0), temperature = \temperature.kr(1), amp = \amp.kr(0.5), rate = \rate.kr(1),
				attack = \attack.kr(0.005), release = \release.kr(0.02), pan = \pan.kr(0), dry = \dry.kr(0),
				select = \select.kr(ConcatPlay.selectInput(\nearest)), seed = \seed.ir(-1);
			var in = this.inputOf(input);
			var g = this.followGraph(corpus, model, in, mode, descriptors, numChannels, guidance, temperature, amp,
				rate, attack, release, pan, select, seed);
			g[\sig] + (in * dry)
		}
	}

	/*
	The graph of followFunc inside a synth function, `in` the performer's audio (a UGen), the other arguments
	numbers or controls. With a model, ConcatPlay's unit output is fed back (LocalIn, one block late: steps at
	least one block apart, as ConcatListen's units are) into SeqPredict's `unit` input, so a model with descriptor
	inputs reads the unit played for the label before. Returns an Event: sig (numChannels of audio, without the
	dry input), label (\any without a model, else SeqPredict's, control rate), unit (what SeqPredict reads at each
	step; -1 without a model), played (ConcatPlay's unit output), trig (ConcatListen's unit trigger, control rate).
	*/
	*followGraph { arg corpus, model, in, mode = \onsets, descriptors, numChannels = 2, guidance = 0,
		temperature = 1, amp = 0.5, rate = 1, attack = 0.005, release = 0.02, pan = 0, select = 3, seed = -1;
		var listen, trig, target, label, seen = -1, sig, played;
		descriptors = descriptors ?? { corpus.followDescriptors };
		listen = ConcatListen.kr(in, corpus, mode, descriptors);
		trig = ConcatListen.trigOf(listen);
		target = ConcatListen.targetOf(listen);
		label = if(model.isNil) { \any } {
			seen = LocalIn.ar(1, -1);
			SeqPredict.kr(model, trig, temperature, seed: seed, corpus: corpus, target: target, guidance: guidance,
				unit: seen)
		};
		sig = ConcatPlay.ar(numChannels, corpus, trig, label, rate: rate, amp: amp, attack: attack,
			release: release, select: select, pan: pan, seed: seed, target: target);
		played = ConcatPlay.unitOf(sig);
		if(model.notNil) { LocalOut.ar(played) };
		^(sig: sig, label: label, unit: seen, played: played, trig: trig)
	}

	/*
	The synth function of ConcatCorpus:answer (call and response): numChannels of audio. While the performer
	plays (a unit heard louder than `threshold` within the last `wait` seconds), every unit ConcatListen hears
	steps SeqPredict with prime = its label (teacher forcing: the model's state follows what the performer
	played) and nothing sounds; when the performer has been quiet for `wait` seconds, the model answers:
	it samples its own continuation, `density` units per second, and ConcatPlay plays them (select:
	\successor by default, the corpus's own order where the labels allow it) until the performer plays again (nothing before the performer has played).
	A model with descriptor inputs is fed the unit played for an answered label and the centroid for a heard one.
	Controls: threshold (0.02, linear amplitude of the input), wait (1 s), density (8 units/s), temperature (1),
	amp (0.5), rate (1), attack (0.005), release (0.02), pan (0), dry (0), select (\successor), seed (-1).
	*/
	*answerFunc { arg corpus, model, input, mode = \onsets, numChannels = 2;
		^{
			var threshold = \threshold.kr(0.02), wait = \wait.kr(1), density = \density.kr(8),
				temperature = \temperature.kr(1), amp = \amp.kr(0.5), rate = \rate.kr(1), attack = \attack.kr(0.005),
				release = \release.kr(0.02), pan = \pan.kr(0), dry = \dry.kr(0),
				select = \select.kr(ConcatPlay.selectInput(\successor)), seed = \seed.ir(-1);
			var in = this.inputOf(input);
			var g = this.answerGraph(corpus, model, in, mode, numChannels, threshold, wait, density, temperature, amp,
				rate, attack, release, pan, select, seed);
			g[\sig] + (in * dry)
		}
	}

	/*
	The graph of answerFunc inside a synth function, `in` the performer's audio (a UGen), the other arguments
	numbers or controls. A model with descriptor inputs reads, at each step, the unit played for the label before:
	ConcatPlay's unit output after an answer, -1 (the label's centroid) after a heard label (primed, not played),
	fed back one block late (LocalIn). Returns an Event: sig (numChannels of audio, without the dry input), label
	(SeqPredict's, control rate), prime (the prime input: the heard label while the performer plays, else -1),
	trig (the steps: heard units while playing, answers in the pauses), answer (the answers alone), unit (what
	SeqPredict reads at each step), played (ConcatPlay's unit output).
	*/
	*answerGraph { arg corpus, model, in, mode = \onsets, numChannels = 2, threshold = 0.02, wait = 1, density = 8,
		temperature = 1, amp = 0.5, rate = 1, attack = 0.005, release = 0.02, pan = 0, select = 1, seed = -1;
		var listen = ConcatListen.kr(in, corpus, mode);
		var heard = ConcatListen.trigOf(listen), heardLabel = ConcatListen.labelOf(listen);
		var loud = heard * (Amplitude.kr(in, 0.005, 0.05) > threshold) * (heardLabel >= 0);
		// the performer is playing: a loud unit within the last `wait` seconds; the model answers only once
		// something was played, and not while it is
		var started = PulseCount.kr(loud) > 0;
		var playing = (Sweep.kr(loud) < wait) * started;
		var answer = Impulse.kr(density.max(0.01)) * (1 - playing) * started;
		var trig = (loud * playing) + answer, prime = Select.kr(playing, [-1, heardLabel]);
		// a model with descriptor inputs reads the unit played for the label before: ConcatPlay's unit after an
		// answer, -1 (the label's centroid) after a heard label (primed, not played); one block late (LocalIn)
		var seen = LocalIn.ar(1, -1), answered = SetResetFF.kr(answer, loud * playing);
		var label = SeqPredict.kr(model, trig, temperature, prime: prime, seed: seed, corpus: corpus, unit: seen);
		var sig = ConcatPlay.ar(numChannels, corpus, answer, label, rate: rate, amp: amp, attack: attack,
			release: release, select: select, pan: pan, seed: seed);
		var played = ConcatPlay.unitOf(sig);
		LocalOut.ar(Select.ar(answered, [DC.ar(-1), played]));
		^(sig: sig, label: label, prime: prime, trig: trig, answer: answer, unit: seen, played: played)
	}

	// An Ndef named `key` with `func`, fadeTime, initial control pairs `args`, playing on `out`.
	*ndef { arg key, func, numChannels, fadeTime, out, args;
		var nd = Ndef(key);
		nd.fadeTime = fadeTime;
		// the controls first (ConcatSeqLive.ndef plays through here too): on a proxy with no node yet they are only
		// stored, and the source's synth starts with them; set after the source, they went out as /n_set ahead of
		// the synth's timestamped /s_new ("FAILURE IN SERVER /n_set Node ... not found" on a busy machine)
		if(args.notNil and: { args.notEmpty }) { nd.set(*args) };
		nd.source = func;
		nd.play(out, numChannels);
		^nd
	}
}

+ ConcatCorpus {
	/*
	The descriptors follow matches on by default: the corpus's clustering descriptors (weight > 0 in
	corpus.json) without duration (a heard unit's duration is the listener's, not a musical choice); all of its
	descriptors when the manifest gives no weights. An Array of Symbols.
	*/
	followDescriptors {
		var descs = manifest["descriptors"], names;
		names = descriptorNames.select { |n, i|
			var w = descs[i]["weight"];
			(w.isNil or: { w.asFloat > 0 }) and: { n != \duration }
		};
		^if(names.isEmpty) { descriptorNames } { names }
	}

	/*
	Follow a performer (live mosaicing) in one line: an Ndef (default key \concatseq_follow) that listens to
	`input` (an input channel, an audio Bus, a Buffer standing in, or a Function; see ConcatSeqFollow) in `mode`
	(\onsets, \frames, \grains or \attacks) with this corpus's own analysis, and plays the unit nearest to each unit
	heard, on `descriptors` (nil: followDescriptors). With `model` (a SeqModel of this corpus), the model chooses
	each label, guided towards the heard sound by `guidance` (0 = the model alone; 1 .. 4 a compromise; 100 =
	nearest label), and the nearest unit of that label plays. Controls (set them on the Ndef): guidance,
	temperature, amp, rate, attack, release, pan, dry, select, seed (ConcatSeqFollow *followFunc). A model trained
	on another corpus is refused (nil, one error line) unless anyCorpus is true.
	*/
	follow { arg input = 0, mode = \onsets, descriptors, model, key = \concatseq_follow, guidance = 0,
		temperature = 1, amp = 0.5, numChannels = 2, fadeTime = 0.5, out = 0, anyCorpus = false;
		if(this.isLoaded("ConcatCorpus:follow").not) { ^nil };
		if(model.notNil and: { ConcatSeqLive.corpusMatches(this, model, "ConcatCorpus:follow", anyCorpus).not }) { ^nil };
		^ConcatSeqFollow.ndef(key, ConcatSeqFollow.followFunc(this, model, input, mode, descriptors, numChannels),
			numChannels, fadeTime, out, [\guidance, guidance, \temperature, temperature, \amp, amp])
	}

	/*
	Offline mosaicing: render the sound file `target` from this corpus with `concatseq mosaic` (asynchronously,
	the program run as *build runs analyze) into the float WAV `path`: ConcatListen's, SeqPredict's and
	ConcatPlay's core code, block by block, the samples an NRT render of the follow synth gives. `options`: an
	Event of the program's options (mode: \onsets, descriptors: [\loudness, \centroid], model: a SeqModel or a
	model path, guidance: 1, seed: 3, force: true, report: "units.tsv"; see `concatseq mosaic --help`) or an
	Array of words. action is called with `path` when the render is written, or with nil after one error line
	(the program's). Returns the pid, or nil (one error line, action called with nil).
	*/
	mosaic { arg target, path, options, action;
		var words, who = "ConcatCorpus:mosaic";
		if(target.isString.not and: { target.isKindOf(Symbol).not }) {
			"%: argument 'target' must be the path of a sound file, not %".format(who, target.cs).error;
			ConcatSeqLoad.later(action, nil); ^nil
		};
		if(path.isString.not and: { path.isKindOf(Symbol).not }) {
			"%: argument 'path' must be the path of the WAV file to write, not %".format(who, path.cs).error;
			ConcatSeqLoad.later(action, nil); ^nil
		};
		if(options.isKindOf(Dictionary) and: { options[\model].respondsTo(\path) }) {
			options = options.copy.put(\model, options[\model].path)
		};
		words = ConcatCorpus.optionWords(options, who);
		if(words.isNil) { ConcatSeqLoad.later(action, nil); ^nil };
		path = path.asString.standardizePath;
		^ConcatCorpus.runProgram(["mosaic", dir, "-o", path] ++ words ++ ["--", target.asString.standardizePath], who,
			{ |ok| action.value(if(ok) { path } { nil }) })
	}

	/*
	Call and response in one line: an Ndef (default key \concatseq_answer) in which `model` (a SeqModel of this
	corpus) listens to `input` (see follow) and is fed the labels the performer plays, then answers with its own
	continuation when the performer has been quiet for `wait` seconds (ConcatSeqFollow *answerFunc: threshold,
	wait, density, temperature, amp, rate, attack, release, pan, dry, select, seed). A model trained on another
	corpus is refused (nil, one error line) unless anyCorpus is true.
	*/
	answer { arg model, input = 0, mode = \onsets, key = \concatseq_answer, threshold = 0.02, wait = 1, density = 8,
		temperature = 1, amp = 0.5, numChannels = 2, fadeTime = 0.5, out = 0, anyCorpus = false;
		if(this.isLoaded("ConcatCorpus:answer").not) { ^nil };
		if(model.isNil) { "ConcatCorpus:answer: argument 'model' is required (a SeqModel of %)".format(this).error; ^nil };
		if(ConcatSeqLive.corpusMatches(this, model, "ConcatCorpus:answer", anyCorpus).not) { ^nil };
		^ConcatSeqFollow.ndef(key, ConcatSeqFollow.answerFunc(this, model, input, mode, numChannels),
			numChannels, fadeTime, out, [\threshold, threshold, \wait, wait, \density, density,
				\temperature, temperature, \amp, amp])
	}
}
