// ConcatSeqSpecs: a ControlSpec (range, warp, step, default) for every live control of ConcatSeq's players, so a
// GUI (NdefGui, a Slider through spec.map) or a MIDI controller moves each one through a range that means
// something. ConcatSeqLive.func gives each control its spec (\name.kr(default, spec: ...): SynthDef metadata), so
// corpus.play's Ndef opens in NdefGui with these sliders without touching the global Spec.specs (\rate and \amp
// there are other things). ConcatSeqSetup saves and restores a setup (corpus, model, control values) by paths.
//
//   n = ~corpus.play(~model);
//   NdefGui(n, 12);                                  // the right sliders
//   ConcatSeqSpecs.midiLearn(n, \temperature);       // the next CC that moves drives the temperature
//   ConcatSeqSetup.save("~/walk.setup".standardizePath, ~corpus, ~model, n);
//   ConcatSeqSetup.restore("~/walk.setup".standardizePath, s, { |n| NdefGui(n, 12) });   // another session

ConcatSeqSpecs {
	classvar table;

	/*
	The spec names in the order of ConcatSeqLive.func's controls (and SeqPredict's guidance), each as its control
	is named. The ranges are the UGens' own (SeqPredict.schelp, ConcatPlay.schelp), narrowed where the full
	range is of no use on a slider: temperature 0..4 (the UGen takes 0..1000), rate 1/8..8 (ConcatPlay also plays
	backwards), attack and release 0..2 s (0..10), lead 0..0.5 s (0..10), amp 0..1 (+-64).
	*/
	*names {
		^#[\temperature, \topK, \topP, \repetitionPenalty, \guidance, \rate, \density, \gapless, \amp, \select,
			\pan, \spread, \attack, \release, \lead, \prime]
	}

	// An IdentityDictionary name -> ControlSpec of every control in *names (made once, shared: copy before
	// changing one).
	*all {
		^table ?? {
			table = IdentityDictionary[
				\temperature -> ControlSpec(0, 4, 3, 0, 1, ""),      // curve 3: fine control around 0..1
				\topK -> ControlSpec(0, 64, \lin, 1, 0, "labels"),  // 0 = off
				\topP -> ControlSpec(0, 1, \lin, 0, 1, ""),         // 1 = off
				\repetitionPenalty -> ControlSpec(0.25, 4, \exp, 0, 1, ""),   // 1 = off
				\guidance -> ControlSpec(0, 100, 6, 0, 0, "1/sigma^2"),      // 0 = the model alone
				\rate -> ControlSpec(0.125, 8, \exp, 0, 1, "x"),
				\density -> ControlSpec(0.5, 64, \exp, 0, 8, "units/s"),
				\gapless -> ControlSpec(0, 1, \lin, 1, 0, ""),
				\amp -> ControlSpec(0, 1, \amp, 0, 0.5, ""),
				\select -> ControlSpec(0, 2, \lin, 1, 1, ""),   // random, successor, least recently used
				\pan -> ControlSpec(-1, 1, \lin, 0, 0, ""),
				\spread -> ControlSpec(0, 1, \lin, 0, 0, ""),
				\attack -> ControlSpec(0, 2, 6, 0, 0.005, "s"),
				\release -> ControlSpec(0, 2, 6, 0, 0.02, "s"),
				\lead -> ControlSpec(0, 0.5, 4, 0, 0.03, "s"),
				\prime -> ControlSpec(-1, 63, \lin, 1, -1, "label")   // -1 = off
			]
		}
	}

	/*
	The ControlSpec of control `name` (a Symbol of *names), or nil for any other name. With a ConcatCorpus (or
	anything answering numLabels), the label-count controls fit it: topK 0..numLabels, prime -1..numLabels-1
	(a new spec; the shared one is not changed).
	*/
	*at { arg name, corpus;
		var spec = this.all[name.asSymbol], k;
		if(spec.isNil or: { corpus.isNil } or: { corpus.respondsTo(\numLabels).not }) { ^spec };
		k = corpus.numLabels;
		if(k.isNil) { ^spec };
		^switch(name.asSymbol,
			\topK, { spec.copy.maxval_(k.max(1)) },
			\prime, { spec.copy.maxval_((k - 1).max(0)) },
			{ spec })
	}

	/*
	MIDI learn for one control of a node proxy (an Ndef from corpus.play, or anything answering set): returns a
	MIDIFunc.cc that, on the first control change it receives (from any controller on any channel, or only on
	`chan` / from `srcID` when given), learns that controller number and channel, posts one line saying so, and
	from then on sets `key` to spec.map(value / 127) for that controller (the one just learnt included). With
	`ccNum` given nothing is learnt: that controller drives the control from the start. spec: defaults to
	ConcatSeqSpecs.at(key); any ControlSpec (or Symbol with a global spec) works. MIDIClient.init and
	MIDIIn.connectAll are the caller's (no device is needed to test: MIDIIn.doControlAction(src, chan, num, val)).
	Free the result to stop it. Returns nil (one error line) when key has no spec.
	*/
	*midiLearn { arg proxy, key, ccNum, chan, srcID, spec;
		var learnt = ccNum, learntChan = chan;
		spec = if(spec.notNil) { spec.asSpec } { this.at(key) };
		if(spec.isNil) {
			"ConcatSeqSpecs.midiLearn: no spec for '%' (use one of %, or give spec:)".format(key, this.names).error;
			^nil
		};
		^MIDIFunc.cc({ |val, num, ch|
			if(learnt.isNil) {
				learnt = num;
				learntChan = ch;
				"ConcatSeqSpecs.midiLearn: % follows CC % on channel %".format(key, num, ch).postln
			};
			if(num == learnt and: { learntChan.isNil or: { ch == learntChan } }) {
				proxy.set(key, spec.map(val / 127))
			}
		}, nil, chan, srcID)
	}
}

ConcatSeqSetup {
	/*
	Save a playing setup to the JSON file `path`: the corpus's bundle folder and the model file as absolute paths
	(buffer numbers change between sessions; paths do not), the proxy's key and the current value of every
	control of ConcatSeqSpecs.names that holds a number (a control mapped to a bus is not saved). corpus: a
	ConcatCorpus; model: a SeqModel; proxy: the Ndef of corpus.play (nil saves no controls). The file is written
	to path ++ ".tmp" and renamed into place. Returns true, or false with one error line.
	*/
	*save { arg path, corpus, model, proxy;
		var controls = List.new, text, file, tmp;
		if(corpus.respondsTo(\dir).not or: { model.respondsTo(\path).not }) {
			"ConcatSeqSetup.save: give a ConcatCorpus and a SeqModel (got % and %)".format(corpus, model).error;
			^false
		};
		if(proxy.notNil) {
			ConcatSeqSpecs.names.do { |name|
				var v = proxy.get(name);
				if(v.isNumber and: { v.isNaN.not }) { controls.add([name, v]) }
			}
		};
		text = "{\"format\": \"concatseq-setup\", \"version\": 1, \"corpus\": %, \"model\": %, \"key\": %, \"controls\": {%}}\n".format(
			this.prQuote(this.prAbsolute(corpus.dir)), this.prQuote(this.prAbsolute(model.path)),
			this.prQuote((proxy.tryPerform(\key) ? \concatseq).asString),
			controls.collect { |p| this.prQuote(p[0].asString) ++ ": " ++ p[1].asFloat.asStringPrec(17) }.join(", "));
		tmp = path ++ ".tmp";
		file = File(tmp, "w");
		if(file.isOpen.not) {
			"ConcatSeqSetup.save: cannot write % (is the folder there and writable?)".format(tmp).error;
			^false
		};
		file.write(text);
		file.close;
		if(("mv -f " ++ tmp.shellQuote ++ " " ++ path.shellQuote).systemCmd != 0) {
			"ConcatSeqSetup.save: cannot write %".format(path).error;
			File.delete(tmp);
			^false
		};
		^true
	}

	/*
	Read a setup saved by *save: an Event (corpus: path, model: path, key: Symbol, controls: [name, value, ...]),
	or nil with one error line naming the file and what is wrong with it.
	*/
	*read { arg path;
		var d, text;
		if(File.exists(path).not) { "ConcatSeqSetup: % not found".format(path).error; ^nil };
		text = File.readAllString(path);
		d = try { ConcatSeqJSON.parse(text) } { |e| "ConcatSeqSetup: %: %".format(path, e.errorString).error; ^nil };
		if(d.isKindOf(Dictionary).not or: { d["format"] != "concatseq-setup" } or: { d["version"] != 1 }) {
			"ConcatSeqSetup: % is not a concatseq setup (version 1)".format(path).error;
			^nil
		};
		if(d["corpus"].isString.not or: { d["model"].isString.not } or: { d["controls"].isKindOf(Dictionary).not }) {
			"ConcatSeqSetup: % lacks corpus, model or controls".format(path).error;
			^nil
		};
		^(corpus: d["corpus"], model: d["model"], key: (d["key"] ? "concatseq").asSymbol,
			controls: ConcatSeqSpecs.names.select { |n| d["controls"][n.asString].isNumber }
				.collect { |n| [n, d["controls"][n.asString]] }.flatten)
	}

	/*
	Restore a setup saved by *save on `server` (Server.default): loads the corpus and the model from their paths
	(ConcatCorpus.load, SeqModel.load: new buffers), plays the corpus with the model under the saved key
	(corpus.play) and sets the saved controls. action is called with the Ndef, the ConcatCorpus and the SeqModel,
	or with nil when the file, the corpus or the model cannot be read or do not match (one error line each).
	anyCorpus: as for corpus.play. Returns the setup Event of *read, or nil.
	*/
	*restore { arg path, server, action, anyCorpus = false;
		var setup = this.read(path);
		if(setup.isNil) { ConcatSeqLoad.later(action, nil); ^nil };
		ConcatCorpus.load(server, setup.corpus, { |corpus|
			if(corpus.isNil) { action.value(nil) } {
				SeqModel.load(server, setup.model, { |model|
					var nd = model !? { corpus.play(model, setup.key, anyCorpus: anyCorpus) };
					if(nd.notNil) { nd.set(*setup.controls) };
					action.value(nd, corpus, model)
				})
			}
		});
		^setup
	}

	*prAbsolute { arg p; p = p.asString.standardizePath; ^if(p.beginsWith("/")) { p } { File.getcwd +/+ p } }

	*prQuote { arg s;
		var out = "\"";
		s.asString.do { |c|
			out = out ++ case
				{ c == $" } { "\\\"" }
				{ c == $\\ } { "\\\\" }
				{ c.ascii.inclusivelyBetween(0, 31) } { "\\u%".format(c.ascii.asHexString(4)) }
				{ c.asString };
		};
		^out ++ "\""
	}
}
