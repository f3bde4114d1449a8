/**
 * The first 45 lines of PTB's `ptb.train.txt` (1,007 words with their `<eos>` marks,
 * byte-identical to the file's first 5,668 bytes): the `simple` preset's
 * data (the reference's chapter 5 trains on the first 1,000 words), shipped so that a first run
 * works without network or a local copy of PTB. The ids it gives are PTB's own, as the
 * vocabulary is built by first occurrence.
 *
 * @module
 */

import { corpusFromText, type Vocabulary } from "./corpus.ts";

/**
 * Words (with `<eos>`) the shipped head holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PTB_HEAD_WORDS, ptbHead } from "./ptb_head.ts";
 * import { PRESETS } from "../train/config.ts";
 * const { ids, vocab } = ptbHead();
 * assert.equal(ids.length, PTB_HEAD_WORDS);
 * assert.equal(ids.filter((id) => id === vocab.id("<eos>")).length, 45); // one per line
 * assert(PRESETS.simple.corpusSize <= PTB_HEAD_WORDS); // the simple preset runs on it alone
 * ```
 */
export const PTB_HEAD_WORDS = 1007;

const LINES = [
  " aer banknote berlitz calloway centrust cluett fromstein gitano guterman hydro-quebec ipo kia memotec mlx nahb punts rake regatta rubens sim snack-food ssangyong swapo wachter ",
  " pierre <unk> N years old will join the board as a nonexecutive director nov. N ",
  " mr. <unk> is chairman of <unk> n.v. the dutch publishing group ",
  " rudolph <unk> N years old and former chairman of consolidated gold fields plc was named a nonexecutive director of this british industrial conglomerate ",
  " a form of asbestos once used to make kent cigarette filters has caused a high percentage of cancer deaths among a group of workers exposed to it more than N years ago researchers reported ",
  " the asbestos fiber <unk> is unusually <unk> once it enters the <unk> with even brief exposures to it causing symptoms that show up decades later researchers said ",
  " <unk> inc. the unit of new york-based <unk> corp. that makes kent cigarettes stopped using <unk> in its <unk> cigarette filters in N ",
  " although preliminary findings were reported more than a year ago the latest results appear in today 's new england journal of medicine a forum likely to bring new attention to the problem ",
  " a <unk> <unk> said this is an old story ",
  " we 're talking about years ago before anyone heard of asbestos having any questionable properties ",
  " there is no asbestos in our products now ",
  " neither <unk> nor the researchers who studied the workers were aware of any research on smokers of the kent cigarettes ",
  " we have no useful information on whether users are at risk said james a. <unk> of boston 's <unk> cancer institute ",
  " dr. <unk> led a team of researchers from the national cancer institute and the medical schools of harvard university and boston university ",
  " the <unk> spokeswoman said asbestos was used in very modest amounts in making paper for the filters in the early 1950s and replaced with a different type of <unk> in N ",
  " from N to N N billion kent cigarettes with the filters were sold the company said ",
  " among N men who worked closely with the substance N have died more than three times the expected number ",
  " four of the five surviving workers have <unk> diseases including three with recently <unk> cancer ",
  " the total of N deaths from malignant <unk> lung cancer and <unk> was far higher than expected the researchers said ",
  " the <unk> rate is a striking finding among those of us who study <unk> diseases said dr. <unk> ",
  " the percentage of lung cancer deaths among the workers at the west <unk> mass. paper factory appears to be the highest for any asbestos workers studied in western industrialized countries he said ",
  " the plant which is owned by <unk> & <unk> co. was under contract with <unk> to make the cigarette filters ",
  " the finding probably will support those who argue that the u.s. should regulate the class of asbestos including <unk> more <unk> than the common kind of asbestos <unk> found in most schools and other buildings dr. <unk> said ",
  " the u.s. is one of the few industrialized nations that does n't have a higher standard of regulation for the smooth <unk> fibers such as <unk> that are classified as <unk> according to <unk> t. <unk> a professor of <unk> at the university of vermont college of medicine ",
  " more common <unk> fibers are <unk> and are more easily rejected by the body dr. <unk> explained ",
  " in july the environmental protection agency imposed a gradual ban on virtually all uses of asbestos ",
  " by N almost all remaining uses of <unk> asbestos will be outlawed ",
  " about N workers at a factory that made paper for the kent filters were exposed to asbestos in the 1950s ",
  " areas of the factory were particularly dusty where the <unk> was used ",
  " workers dumped large <unk> <unk> of the imported material into a huge <unk> poured in cotton and <unk> fibers and <unk> mixed the dry fibers in a process used to make filters ",
  " workers described clouds of blue dust that hung over parts of the factory even though <unk> fans <unk> the area ",
  " there 's no question that some of those workers and managers contracted <unk> diseases said <unk> phillips vice president of human resources for <unk> & <unk> ",
  " but you have to recognize that these events took place N years ago ",
  " it has no bearing on our work force today ",
  " yields on money-market mutual funds continued to slide amid signs that portfolio managers expect further declines in interest rates ",
  " the average seven-day compound yield of the N taxable funds tracked by <unk> 's money fund report eased a fraction of a percentage point to N N from N N for the week ended tuesday ",
  " compound yields assume reinvestment of dividends and that the current yield continues for a year ",
  " average maturity of the funds ' investments <unk> by a day to N days the longest since early august according to donoghue 's ",
  " longer maturities are thought to indicate declining interest rates because they permit portfolio managers to retain relatively higher rates for a longer period ",
  " shorter maturities are considered a sign of rising rates because portfolio managers can capture higher rates sooner ",
  " the average maturity for funds open only to institutions considered by some to be a stronger indicator because those managers watch the market closely reached a high point for the year N days ",
  " nevertheless said <unk> <unk> <unk> editor of money fund report yields may <unk> up again before they <unk> down because of recent rises in short-term interest rates ",
  " the yield on six-month treasury bills sold at monday 's auction for example rose to N N from N N ",
  " despite recent declines in yields investors continue to pour cash into money funds ",
  " assets of the N taxable funds grew by $ N billion during the latest week to $ N billion ",
];

/**
 * The shipped head of PTB's training split as word ids, tokenised as `loadPtbAll` tokenises
 * the whole file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PTB_HEAD_WORDS, ptbHead } from "./ptb_head.ts";
 * const { ids, vocab } = ptbHead();
 * assert(ids.length === PTB_HEAD_WORDS && vocab.idToWord[0] === "aer");
 * ```
 */
export function ptbHead(): { ids: Int32Array; vocab: Vocabulary } {
  return corpusFromText(LINES.join("\n") + "\n", { reference: true, where: "shipped PTB head" });
}
