"""Derive the committed word lists in gatescope/train/data/ from VADER, wordfreq and WordNet.

These are training-data-only tools, kept out of the app's own environment:

    python3 -m venv .venv-data
    .venv-data/bin/pip install vaderSentiment==3.3.2 wordfreq==3.1.1
    apt-get install wordnet-base            # WordNet 3.0 database in /usr/share/wordnet
    .venv-data/bin/python scripts/make_lexicon.py [--out FOLDER [--check]]

The script is deterministic: the same package versions give byte-identical files (--out elsewhere with --check
compares them with the committed ones). It writes

    adjectives.tsv     sentiment adjectives: word, polarity, valence, frequency, scope, source
                       (scope: universal, general, person, state, food, story, thing, place or gadget -
                       what they can describe)
    adverbs.tsv        sentiment adverbs:    word, polarity, valence, frequency, source
    verbs.tsv          sentiment verbs:      base, past, third, polarity, valence, frequency, frame, source
    nouns.tsv          evaluative nouns:     word, polarity, valence, frequency, source
    neutral_nouns.tsv  filler nouns:         word, category (food/animal/plant/person/object/place), frequency
    heldout.tsv        words kept out of training (the "unknown_words" test subset): word, kind

Sources: VADER's valence (-4 .. +4) decides a word's polarity; wordfreq's Zipf frequency keeps only
common English words, and a coarse band of it (common/medium/rare: all that is written of wordfreq's
data) weights how often the generator picks a word; WordNet's part-of-speech
index and lexicographer files say which words are adjectives, and which nouns are foods, animals,
plants, people or made things. The lexicons are noisy for reviews (slang, crime and war words that
describe a plot rather than judge it, words that flip with context), so the hand-made sets below
remove those and add the review vocabulary VADER lacks (bland, overpriced, flimsy, ...): every such
row says source=curated. The generator and its tests read only the written files: they need no package.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gatescope" / "train" / "data"
WORDNET = Path(os.environ.get("WORDNET_DIR", "/usr/share/wordnet"))

ADJ_MIN_ZIPF = 2.8  # about once in 1.6 million words
ADJ_MIN_VALENCE = 1.0
NEUTRAL_MIN_ZIPF = {"food": 3.0, "animal": 3.0, "plant": 3.0, "person": 3.1, "object": 3.2, "place": 3.3}
HELDOUT_SHARE = 0.08  # of the less common sentiment words and filler nouns
HELDOUT_MAX_ZIPF = 3.6  # common words ("great", "awful", "overpriced") always stay in training
HELDOUT_CATEGORIES = ("animal", "plant", "person", "object", "place")  # foods double as restaurant aspects

# ---------------------------------------------------------------------------------------------
# Adjectives: VADER words WordNet knows mainly as adjectives, minus the ones unfit for reviews.
# ---------------------------------------------------------------------------------------------

# Plot/topic words (a film *about* murder is not a bad film), politics, crime, illness, slurs and
# profanity, words whose sense flips with context (sick, wicked, scary, pretty, super, rich),
# reviewer-irrelevant ones (entitled, honorary) and faint praise that reads as criticism (acceptable).
EXCLUDED_ADJECTIVES = set(
    """
abandoned abhorrent abused abusive accepted accepting accomplished acquitted active adoring
adventurous adverse advanced advantageous afflicted agitated aggravated agreed aching alarmed alert
alive alone allergic ambitious angered antagonistic anti anxious apocalyptic approved ardent
argumentative arrested ashamed assured assuring astonished attacking avid banned bankrupt beaten
beloved beneficial benevolent benign bereaved better biased bitchy bizarre blamed blessed blocked
bloody bothered brave broke brutal bullying burdened burdensome captivated cancelled catastrophic
celebrated certain charitable cheating cherished childish choked comforted committed comprehensive
competent complimentary confident conflicting confrontational contagious contentious contradictory
convinced cornered courageous cowardly credited criminal crushed crushing crying curious cynical
damaging damn damned damning dead dear decayed deceitful dedicated defeated defenseless definite
degraded degrading depressed depressing deprived desired desirable desperate despised destroyed
destructive determined devastating devilish devoted devotional dignified dire disabling disadvantaged
discarded discouraged discouraging discredited disguised disgraced disillusioned disliked disoriented
disparaging disputed disqualified disregarded disrupted disruptive distorted distracted distraught
distressed distressing disturbed disturbing divine doomed doubtful doubting dominating drained
dreaded drunk dynamic dynamical eager earnest eased eerie empathetic encouraged engaged enlightened
enraged entitled envious erroneous esteemed ethical euphoric exasperated exhausted exonerated exploited
faithful fantastical fascist fatal fatigued favored fearful fearless fearsome feeble fervent fiery
fighting fired flattering flustered fond fooling foolish forbidden forbidding forced forgetful
forgiving fortunate fraudulent freaky freelance frightened frightening frightful frantic fulfilled
futile gallant glorified goddamn goddamned granted grateful grave greater greedy grieving grievous
guilty gullible hapless harassed hardy harmless harmonic hateful haunted haunting heartbreaking
heartbroken heartless hellish helpless heroic hesitant honorable honorary honored honourable hopeful
horrifying hostile humiliated humiliating hurtful hypocritical idealistic idealized ignorant ill
immoral immortal immune impatient impotent impressionist imprisoned incapable incapacitated
increased incensed indecisive indignant infected inflamed influential inhibitory innocent insane
insecure insignificant intellectual interested interrupted intimidated intimidating invincible irate
irrational irresponsible irritable isolated itchy jailed jaded jealous jolly justified keen killed
laughing lamented lamenting lenient liked lone lonely lonesome loved lowering lowest lowly lucky
lunatic mad mature meditative meritorious merry misunderstood mistaken mocking moody motivated
motivating murderous murdered mindless nagging naive needy nervous neurotic noble notorious numb
numbing nuts obliterated obscene odd offending ominous oppressed oppressive optimistic optimal
outgoing overweight pained panicked paranoid peacekeeping perfected perplexed perverse perverted
pessimistic pesky played poised polluted popular powerless praising prejudiced pretty privileged
proactive profitable promising prominent prosperous protected proud provoked punishable punished
punishing punitive radiant raging rancid rape raped rash rebellious reckless redeemed regrettable
rejected relieved reluctant repressed repressive rescued resentful resolute respected respective
restless restricted restricting revered rich rigged rigorous romantic sad salient sarcastic savage
scandalous scared sceptical screaming selfish self-confident sentimental severe severed shamed
shameless shared shattered shitty shocked sick sinful sinister skeptical slashing smiling smuggled
solved somber spirited spiteful stable starved starving steadfast stifled strained strangled
strengthened stressed stricken struck struggling stubborn stuck submissive succeeding successful
successive suicidal super supported supporting supreme surprising surviving suspended suspicious
sympathetic teased terrified terrifying threatened threatening timid tired tolerant toothless
torn tortured torturing totalitarian tragic trapped traumatic treasured trembling troubled troubling
trusted trusting unattractive uncertain uncontrollable uncontrolled undesirable uneasy unequal
unfortunate unfulfilled unified unimportant united unjust unkind unprotected unsecured unsettled
unsupported unsure unworthy uptight vain valued validating victimized vindicated violated violent
virtuous virulent vital warmed warring weakened wealthy weeping wicked widowed winning wise
worshipped worried worsened youthful idiotic lame powerful strong critical low missing missed
fallen injured insulting meaningful sparkling devastated damaged grim upset upsetting acceptable
achievable admired adored appreciated capable focused hated illegal improved improving lost natural novel
pissed ready reassured responsible retarded saved sexy sore sure true tops trusty truthful enterprising
poisonous villainous vicious thorny ungrateful crazy cruel scary huge worse wasted encouraging favorable
satisfactory suave loving precious respectable ignored greatest harmonious worthy positive negative
triumphant unsuccessful
""".split()
)

# Verdicts that suit anything, people and plates included: "the waiter was wonderful", "awful soup".
UNIVERSAL_ADJECTIVES = set(
    """
abysmal amazing appalling atrocious awesome awful bad beautiful brilliant delightful disappointing disgusting
dismal dreadful excellent exceptional fab fabulous fantastic first-class first-rate good great horrendous
horrible horrid impressive incredible inexcusable lacklustre lackluster lousy lovely magnificent marvelous
mediocre nasty nice outstanding pathetic perfect phenomenal pleasant poor second-rate shocking shoddy
spectacular splendid stellar subpar sublime superb terrible terrific top-notch unacceptable unpleasant
useless wonderful world-class
""".split()
)

# Reviewer feelings: "I was thrilled", "we left disappointed" - never "the soup was disappointed".
STATE_ADJECTIVES = set(
    """
amazed amused angry annoyed appalled astounded bored captivated charmed confused contented delighted
disappointed disgusted dismayed displeased dissatisfied ecstatic elated enchanted entertained excited
fascinated frustrated furious glad happy horrified impressed infuriated inspired irritated livid
offended outraged overjoyed pleased relaxed satisfied thankful thrilled unhappy unimpressed
unsatisfied blissful appreciative miserable embarrassed
""".split()
)

# Words for people (and the service they give): "the waiter was rude", "a caring host".
PERSON_ADJECTIVES = set(
    """
accommodating apathetic arrogant attentive careless caring cheerful clueless compassionate condescending
considerate courteous dishonest dismissive enthusiastic friendly generous gentle gracious grumpy helpful
honest inattentive incompetent inconsiderate kind kindly knowledgeable lazy loyal obnoxious passionate
polite professional pushy respectful rude sincere smart snobby snooty stingy surly talented thoughtful
trustworthy unfriendly unhelpful unprofessional welcoming affectionate agreeable arrogant clever
intelligent likeable lovable sociable handsome supportive thoughtless exuberant unethical playful energetic
humorous witty charming creative responsive
""".split()
)

# Physical things: shared by rooms and gadgets ("a clean kettle", "a clean room")...
THING_ADJECTIVES = set(
    """
broken clean comfortable damaged dirty gross neat bright stunning gorgeous ugly unattractive worn sticky
uncomfortable deafening festive messy dusty inconvenient safe unsafe
""".split()
)
# ...rooms and places ("a spacious room", never "a spacious waiter")...
PLACE_ADJECTIVES = set(
    """
comfy cosy cozy cramped dingy filthy grimy moldy mouldy musty noisy peaceful picturesque relaxing roomy run-down
serene shabby smelly soothing spacious spotless stinking stinky sunny tacky immaculate chic elegant classy
""".split()
)
# ...and gadgets ("a flimsy lid", "a laggy app").
GADGET_ADJECTIVES = set(
    """
defective durable faulty flimsy leaky loose obsolete painless sturdy unstable wobbly cheap-looking well-made
user-friendly intuitive reliable unreliable glitchy dangerous robust nifty foolproof buggy laggy clunky sluggish
slow fast quick
""".split()
)

# Food and drink: "the curry was bland".
FOOD_ADJECTIVES = set(
    """
delicious yummy tasty flavourful flavorful mouthwatering juicy tender bland stale soggy greasy burnt
overcooked undercooked inedible lukewarm watery rubbery tasteless rancid fresh hearty appetizing
palatable bitter salty healthy unhealthy
""".split()
)

# Stories, films and books: "a gripping plot", "a predictable ending".
STORY_ADJECTIVES = set(
    """
gripping riveting suspenseful compelling engaging entertaining hilarious funny amusing witty poignant
heartwarming heartfelt predictable forgettable cliched tedious convoluted incoherent plodding
long-winded pointless boring dull repetitive disjointed crude offensive shallow uninspired lifeless
soulless amateurish thrilling exciting fascinating interesting enlightening inspiring inspirational
thought-provoking memorable unforgettable original lighthearted atmospheric convincing well-written
stimulating immersive
""".split()
)

# Review vocabulary that VADER lacks (or lists below the cut-offs); valences on VADER's -4..+4 scale.
CURATED_ADJECTIVES = {
    "accommodating": 1.8,
    "affordable": 1.5,
    "appetizing": 1.8,
    "atmospheric": 1.4,
    "attentive": 2.0,
    "comfy": 2.0,
    "compelling": 2.0,
    "cosy": 1.8,
    "cozy": 1.8,
    "decent": 1.0,
    "durable": 1.8,
    "first-class": 2.5,
    "first-rate": 2.5,
    "flavorful": 2.0,
    "flavourful": 2.0,
    "gripping": 2.2,
    "hearty": 1.5,
    "high-quality": 2.0,
    "immaculate": 2.5,
    "immersive": 1.8,
    "intuitive": 1.8,
    "juicy": 1.5,
    "knowledgeable": 1.8,
    "memorable": 2.0,
    "mouthwatering": 2.5,
    "poignant": 1.2,
    "polite": 1.8,
    "professional": 1.5,
    "reliable": 1.9,
    "riveting": 2.3,
    "roomy": 1.5,
    "solid": 1.2,
    "spacious": 1.8,
    "spotless": 2.5,
    "sturdy": 1.8,
    "suspenseful": 1.5,
    "tasty": 2.0,
    "tender": 1.2,
    "thought-provoking": 2.0,
    "top-notch": 2.8,
    "unforgettable": 2.5,
    "user-friendly": 1.8,
    "well-made": 2.0,
    "well-written": 2.2,
    "witty": 2.0,
    "world-class": 2.8,
    "fun": 2.3,
    "clean": 1.7,
    "fresh": 1.3,
    "quick": 1.0,
    "fast": 1.0,
    "reasonable": 1.0,
    "seamless": 1.8,
    "vivid": 1.5,
    # negative
    "amateurish": -2.0,
    "bland": -1.5,
    "buggy": -1.5,
    "burnt": -1.5,
    "cheap-looking": -1.5,
    "cliched": -1.3,
    "clunky": -1.3,
    "condescending": -2.0,
    "convoluted": -1.5,
    "cramped": -1.5,
    "dingy": -1.8,
    "dismissive": -1.8,
    "filthy": -2.5,
    "flimsy": -1.8,
    "forgettable": -1.5,
    "glitchy": -1.5,
    "greasy": -1.3,
    "grimy": -2.0,
    "grumpy": -1.5,
    "inattentive": -1.8,
    "incoherent": -2.0,
    "inedible": -2.8,
    "laggy": -1.3,
    "leaky": -1.5,
    "lifeless": -2.0,
    "long-winded": -1.5,
    "lukewarm": -1.2,
    "mediocre": -1.8,
    "moldy": -2.2,
    "mouldy": -2.2,
    "musty": -1.5,
    "noisy": -1.3,
    "overcooked": -1.8,
    "overhyped": -1.5,
    "overpriced": -1.8,
    "overrated": -1.5,
    "plodding": -1.5,
    "pointless": -1.8,
    "predictable": -1.2,
    "rubbery": -1.5,
    "run-down": -1.8,
    "shabby": -1.8,
    "sloppy": -1.8,
    "slow": -1.2,
    "smelly": -1.8,
    "snooty": -1.5,
    "soggy": -1.5,
    "soulless": -2.0,
    "stale": -1.5,
    "surly": -1.8,
    "tacky": -1.5,
    "tasteless": -2.0,
    "tedious": -1.8,
    "unbearable": -2.5,
    "undercooked": -1.8,
    "underwhelming": -1.8,
    "unhelpful": -1.8,
    "uninspired": -1.8,
    "unreliable": -1.8,
    "unsafe": -1.8,
    "watery": -1.3,
    "wobbly": -1.2,
    "dusty": -1.0,
    "sticky": -1.0,
    "salty": -1.0,
    "crude": -1.5,
    "incompetent": -2.1,
    "snobby": -1.7,
    "incredible": 2.8,
    "exceptional": 2.8,
    "phenomenal": 3.0,
    "spectacular": 2.8,
    "stellar": 2.8,
    "sublime": 2.8,
    "exquisite": 2.8,
    "abysmal": -2.8,
    "atrocious": -2.8,
    "inexcusable": -2.3,
    "subpar": -1.8,
    "shoddy": -2.0,
    "second-rate": -1.8,
    "lacklustre": -1.8,
    "lackluster": -1.8,
}

# VADER words WordNet files under another part of speech, but reviews use as adjectives.
ADJECTIVE_DESPITE_POS = {"fun", "clean", "fresh", "cool", "crappy", "stupid", "worthless", "useless", "lousy"}

# ---------------------------------------------------------------------------------------------
# Adverbs: formed from the kept adjectives and checked against WordNet's adverb index.
# ---------------------------------------------------------------------------------------------

# Adverbs that mostly intensify ("terribly good", "insanely fast") rather than judge.
EXCLUDED_ADVERBS = set(
    """
terribly awfully incredibly extremely seriously desperately ridiculously insanely crazily
amazingly remarkably surprisingly badly sadly madly dreadfully frightfully wildly fearfully
horribly happily gladly kindly grossly stupidly naturally freshly strongly roughly originally specially
surely readily ideally greatly hugely honestly easily fairly positively negatively illegally coolly
handsomely sorely quickly slowly weakly bitterly hopelessly heartily loosely cruelly viciously wrongly
unfairly dishonestly shockingly scarily funnily interestingly truthfully sincerely loyally safely
responsibly healthily usefully gently satisfactorily outrageously ludicrously disgustingly decently
""".split()
)

CURATED_ADVERBS = {
    "well": 1.1,
    "poorly": -1.8,
    "nicely": 1.9,
    "perfectly": 3.2,
    "beautifully": 2.7,
    "brilliantly": 2.8,
    "flawlessly": 2.3,
    "expertly": 2.0,
    "lovingly": 2.3,
    "superbly": 3.0,
    "wonderfully": 2.7,
    "smoothly": 1.5,
    "seamlessly": 1.8,
    "cheaply": -1.3,
    "sloppily": -1.8,
    "lazily": -1.5,
    "carelessly": -1.5,
    "clumsily": -1.3,
    "shoddily": -2.0,
    "terribly": -2.1,
    "horribly": -2.5,
    "badly": -2.1,
    "skilfully": 2.0,
    "skillfully": 2.0,
    "thoughtfully": 1.6,
    "generously": 2.0,
    "tastefully": 2.0,
    "elegantly": 2.1,
    "cleverly": 2.0,
}
# terribly/horribly/badly are judgements after a participle ("badly written"): kept via the
# curated list even though they are excluded from the automatic adjective+ly derivation.

# ---------------------------------------------------------------------------------------------
# Verbs: the attitude verbs reviews use, by frame. experiencer: "I loved it"; stimulus: "it bored me".
# ---------------------------------------------------------------------------------------------

VERBS = {
    # base: (past, third person singular, frame, fallback valence when VADER lacks the word)
    "love": ("loved", "loves", "experiencer", 3.2),
    "like": ("liked", "likes", "experiencer", 1.5),
    "enjoy": ("enjoyed", "enjoys", "experiencer", 2.2),
    "adore": ("adored", "adores", "experiencer", 2.5),
    "appreciate": ("appreciated", "appreciates", "experiencer", 1.7),
    "admire": ("admired", "admires", "experiencer", 2.1),
    "relish": ("relished", "relishes", "experiencer", 1.8),
    "savour": ("savoured", "savours", "experiencer", 1.8),
    "savor": ("savored", "savors", "experiencer", 1.8),
    "cherish": ("cherished", "cherishes", "experiencer", 2.2),
    "hate": ("hated", "hates", "experiencer", -2.7),
    "dislike": ("disliked", "dislikes", "experiencer", -1.6),
    "detest": ("detested", "detests", "experiencer", -2.5),
    "despise": ("despised", "despises", "experiencer", -2.7),
    "loathe": ("loathed", "loathes", "experiencer", -2.5),
    "regret": ("regretted", "regrets", "experiencer", -1.8),
    "resent": ("resented", "resents", "experiencer", -1.6),
    "impress": ("impressed", "impresses", "stimulus", 1.9),
    "amaze": ("amazed", "amazes", "stimulus", 2.5),
    "delight": ("delighted", "delights", "stimulus", 2.9),
    "please": ("pleased", "pleases", "stimulus", 1.3),
    "thrill": ("thrilled", "thrills", "stimulus", 1.5),
    "charm": ("charmed", "charms", "stimulus", 1.7),
    "captivate": ("captivated", "captivates", "stimulus", 2.0),
    "astonish": ("astonished", "astonishes", "stimulus", 1.7),
    "wow": ("wowed", "wows", "stimulus", 2.8),
    "entertain": ("entertained", "entertains", "stimulus", 1.3),
    "inspire": ("inspired", "inspires", "stimulus", 2.7),
    "dazzle": ("dazzled", "dazzles", "stimulus", 1.8),
    "satisfy": ("satisfied", "satisfies", "stimulus", 2.0),
    "disappoint": ("disappointed", "disappoints", "stimulus", -1.7),
    "annoy": ("annoyed", "annoys", "stimulus", -1.9),
    "bore": ("bored", "bores", "stimulus", -1.0),
    "frustrate": ("frustrated", "frustrates", "stimulus", -2.1),
    "irritate": ("irritated", "irritates", "stimulus", -1.8),
    "disgust": ("disgusted", "disgusts", "stimulus", -2.9),
    "infuriate": ("infuriated", "infuriates", "stimulus", -2.4),
    "confuse": ("confused", "confuses", "stimulus", -1.3),
    "offend": ("offended", "offends", "stimulus", -1.2),
    "sicken": ("sickened", "sickens", "stimulus", -2.0),
    "underwhelm": ("underwhelmed", "underwhelms", "stimulus", -1.5),
    "anger": ("angered", "angers", "stimulus", -2.7),
    "exhaust": ("exhausted", "exhausts", "stimulus", -1.5),
}

# ---------------------------------------------------------------------------------------------
# Evaluative nouns: "it was a masterpiece", "a complete waste", "what a letdown".
# ---------------------------------------------------------------------------------------------

NOUNS = {
    "masterpiece": 3.1,
    "gem": 2.5,
    "treat": 1.7,
    "delight": 2.9,
    "joy": 2.8,
    "triumph": 2.1,
    "winner": 2.8,
    "pleasure": 2.7,
    "bargain": 1.5,
    "classic": 1.8,
    "revelation": 1.8,
    "find": 1.5,
    "marvel": 1.8,
    "godsend": 2.5,
    "lifesaver": 2.2,
    "keeper": 1.5,
    "highlight": 1.5,
    "success": 2.7,
    "hit": 1.5,
    "steal": 1.5,
    "work of art": 2.5,
    "breath of fresh air": 2.5,
    "disaster": -3.1,
    "mess": -1.5,
    "waste": -1.8,
    "letdown": -2.0,
    "disappointment": -2.3,
    "joke": -1.5,
    "nightmare": -2.5,
    "rip-off": -2.0,
    "scam": -2.7,
    "failure": -2.3,
    "flop": -1.8,
    "bore": -1.5,
    "chore": -1.5,
    "shambles": -2.0,
    "travesty": -2.5,
    "embarrassment": -2.0,
    "insult": -2.3,
    "dud": -1.5,
    "catastrophe": -3.0,
    "fiasco": -2.5,
    "slog": -1.8,
    "dump": -1.6,
    "headache": -1.5,
    "hassle": -1.5,
    "waste of time": -2.0,
    "waste of money": -2.0,
    "train wreck": -2.5,
    "con": -1.8,
}
# Nouns whose VADER valence disagrees with their review sense ("steal" = a bargain, "treat").
NOUN_VALENCE_OVERRIDES = {"steal", "treat", "joke", "bore", "find", "hit", "con", "dump"}

# ---------------------------------------------------------------------------------------------
# Neutral filler nouns from WordNet's lexicographer files.
# ---------------------------------------------------------------------------------------------

LEXNAMES = {5: "animal", 6: "artifact", 13: "food", 18: "person", 20: "plant"}

# Names, abbreviations, odd senses, and anything with a sentiment, sexual, drug or violent flavour.
EXCLUDED_NEUTRAL = set(
    """
humans turkey virus robin mankind molly dug bot python das brent charger fetus mina slater feeder ridley
liza fitch rudd clegg takin carcass ani cayman britt pathogen saratoga pinto dobson daw salmonella snout
coney brill asp merle moray rump plankton bacterium parasite algae mane seaweed humankind bacteria
cockroach mosquito flea pug doggie doggy woof
falls marijuana blade cole sang reed trunk cannabis chess timothy heath stigma sticker coca tuna benny
clocks veronica milo erica viola ling coco arbor nutshell medic thrift mei embryo gemma napa cassie fuji
soma kali andromeda climber trumpets corolla dak tung pia dahl marguerite bennet placenta fuzz spore hops
heather holly daphne rowan myrtle angelica melissa rosa weed
provisions organs murphy marc vintage spirits eats serving coloring colouring baba cisco duff mulligan
marge cob goody banger whiting roux shortening grinder potion nourishment luncheon preserves gluten
leftovers takeaway alcohol liquor vodka whiskey whisky tequila brandy margarita martini sherry chuck
jonathan patty
works john mike billy max mac stays stole tore hank clarence mack toby kat kris dirk kylie springer
bender tammy sens aba serge lei hackney coulter shay bethel joss hoy dory downer nib ascot stein arms
bullet missile sword pistol shotgun ammunition artillery grenade firearm handgun revolver ammo sniper
launcher bomber dagger machete hatchet gallows shrapnel ordnance gunpoint sickle dildo condom vibrator
lingerie bra thong brothel harem cocaine meth opium morphine heroin cigarette cigar tobacco vaccine pill
placebo aspirin catheter gurney morgue crypt tomb tombstone asylum dungeon casino jail prison stocks
payload reactor trident shiv lancet wreckage obstruction forgery hookup snippet subsection payload
throughput duplication coupling trapping sacking seizing tracer timer compiler diaphragm membrane
interface portfolio infrastructure modernism improvisation mutation apparatus instrumentation workings
addition ways links steps housing hanging facing landing casting bars boards bones quarters rails
rings threads tails sights lining coating coping trivia vibes gig hub outlet portal setup booster
president king leader secretary lord prince princess governor attorney candidate mayor senator deputy
commander duke angel lieutenant commissioner colonel dean pope bishop ambassador priest genius trailer
tiger carrier stranger guardian khan inspector emperor daddy mama bobby batman victor earl warrior
sheriff politician sergeant babe servant pastor demon immigrant harper vampire superman goddess refugee
prophet defendant rapper nominee dame ref messenger prosecutor printer donor papa griffin rogue mommy
heir browser bunny baron ninja yahoo taxpayer mistress congressman cowboy donna calif archbishop madame
constable belle valentine offspring temp psycho policeman chased boxer sherlock proxy patriot predator
oracle jumper cutter traitor titan taco monarch avatar piper protector preacher believer dictator assassin
samurai elf sultan sonny nun lender warden tracker sis scorer nigga malik heavyweight lookout homo sheikh
referral consul breaker adapter transmitter madam barker mummy scanner playboy spoiler plaintiff messiah
gypsy gangster deity booker bloke unicorn sawyer inmate catcher examiner router imam hitter handler
nan fella thug lama envoy bidder voucher mermaid mercer mater buster statesman sleeper cummings changer
bowman apostle wally stalker slayer brat powerhouse gran godfather pol coroner chaplain bearer abbot
trooper incarnation sentinel qualifier momma kicker hubby genie cad hypocrite culprit amir sinner hobbit
deacon pilgrim guerrilla disciple cutler cleric barrister bandit tyrant spinner linebacker hippie git
anarchist dyer rector burglar werewolf informant psychopath outpatient mamma jock vigilante roc raja
raider patriarch gunner goblin embodiment commando bey rounder reaper pedophile colleen brigadier
unionist fay terminator stoner boomer junkie granger grader ensign wannabe missy dodger smoothie sharper
prodigy lefty hitman hanger commandant wight taker shaker ripper redhead imp deb shaman payer madman
cyborg accomplice slider weasel watchdog sprite gladiator whistleblower intermediary drinker bigot
bachelorette selector pom passer ironman felon digger councilman clergyman viscount tycoon tsar
politico letterman laird inpatient alderman reincarnation provost proponent pixie gambler bombshell
sorcerer primate prentice postmaster pasha ombudsman finisher claimant cantor wiz redneck juror
abomination spokeswoman predictor patsy hunk custodian chosen soul dude nobody dragon monster asshole
rep doc ma pa prof rookie superstar striker dealer hunter underdog mascot calculator toaster macaroni
conveyor coaster quad lulu tribune topper loader fiend goon gunman intruder warlord ogre zombie hostage
spectre smoker caster chameleon chaser blocker esquire sheik rover saver realist populist undertaker
insider modernist overlapping loading milling modeling smoother shooter magnum knuckles idol kirk pike
derby brig gearing piling digs weeds irons cleaners briefs boxers underwear diaper arsenal haven
""".split()
)

# ---------------------------------------------------------------------------------------------


def fail(message: str) -> None:
    print(f"make_lexicon: {message}", file=sys.stderr)
    raise SystemExit(1)


def load_vader() -> dict[str, float]:
    try:
        import vaderSentiment
    except ImportError:
        fail("vaderSentiment is not installed; see the docstring for the .venv-data set-up")
    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    lexicon: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


def zipf_function():
    try:
        import wordfreq
    except ImportError:
        fail("wordfreq is not installed; see the docstring for the .venv-data set-up")

    def zipf(phrase: str) -> float:
        # A phrase counts as common as its rarest word ("waste of money" ~ "waste").
        return min(wordfreq.zipf_frequency(word, "en") for word in re.split(r"[ -]", phrase))

    return zipf


def load_wordnet_index(pos: str) -> dict[str, tuple[int, int, list[str]]]:
    """lemma -> (synset count, SemCor-tagged sense count, synset offsets by frequency)."""
    path = WORDNET / f"index.{pos}"
    if not path.is_file():
        fail(f"{path} not found: install Debian's wordnet-base or set WORDNET_DIR")
    index = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split()
        pointer_count = int(fields[3])
        rest = fields[4 + pointer_count :]
        index[fields[0]] = (int(fields[2]), int(rest[1]), rest[2:])
    return index


def load_wordnet_nouns() -> dict[str, tuple[int, list[str], list[str]]]:
    """synset offset -> (lexicographer file number, word forms as written, hypernym offsets)."""
    synsets = {}
    with open(WORDNET / "data.noun", encoding="latin-1") as handle:
        for line in handle:
            if line.startswith("  "):
                continue
            fields = line.split(" ")
            count = int(fields[3], 16)
            at = 4 + 2 * count
            hypernyms = [
                fields[at + 2 + 4 * i]
                for i in range(int(fields[at]))
                if fields[at + 1 + 4 * i] in ("@", "@i") and fields[at + 3 + 4 * i] == "n"
            ]
            synsets[fields[0]] = (int(fields[1]), [fields[4 + 2 * i] for i in range(count)], hypernyms)
    return synsets


# Made things split into places ("a cafe", "a lighthouse") and objects ("a kettle", "a scarf"),
# by whether one of these artifact synsets is an ancestor.
PLACE_ANCESTORS = ("structure", "facility", "way", "area", "establishment")


def artifact_category(offset: str, synsets: dict) -> str:
    seen: set[str] = set()
    stack = [offset]
    while stack:
        current = stack.pop()
        lexfile, forms, hypernyms = synsets[current]
        if lexfile == 6 and forms[0] in PLACE_ANCESTORS and current != offset:
            return "place"
        for hypernym in hypernyms:
            if hypernym not in seen:
                seen.add(hypernym)
                stack.append(hypernym)
    return "object"


def pos_score(index: dict, word: str) -> float:
    if word not in index:
        return -1.0
    synsets, tagged, _ = index[word]
    return tagged + 0.1 * synsets


def stable_fraction(word: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{word}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def polarity_of(valence: float) -> str:
    return "positive" if valence > 0 else "negative"


def adverb_forms(adjective: str) -> list[str]:
    if adjective.endswith("ic"):
        return [adjective + "ally"]
    if adjective.endswith("le") and len(adjective) > 3:
        return [adjective[:-1] + "y"]
    if adjective.endswith("y") and not adjective.endswith("ey"):
        return [adjective[:-1] + "ily"]
    if adjective.endswith("ll"):
        return [adjective + "y"]
    return [adjective + "ly"]


@dataclass(frozen=True)
class Sources:
    """What the lists are derived from: VADER's valences, wordfreq's Zipf frequency and WordNet's indexes."""

    vader: dict[str, float]
    zipf: Callable[[str], float]
    index: dict[str, dict[str, tuple[int, int, list[str]]]]  # part of speech -> lemma -> index entry
    synsets: dict[str, tuple[int, list[str], list[str]]]  # noun synsets


SCOPES = (
    ("universal", UNIVERSAL_ADJECTIVES),
    ("state", STATE_ADJECTIVES),
    ("person", PERSON_ADJECTIVES),
    ("food", FOOD_ADJECTIVES),
    ("story", STORY_ADJECTIVES),
    ("thing", THING_ADJECTIVES),
    ("place", PLACE_ADJECTIVES),
    ("gadget", GADGET_ADJECTIVES),
)


def scope_of(word: str) -> str:
    """What an adjective can describe: the first hand-made scope set that holds it, else "general"."""
    return next((scope for scope, words in SCOPES if word in words), "general")


def is_review_adjective(src: Sources, word: str, valence: float) -> bool:
    """A VADER word that is strong enough, common enough and mainly an adjective (or kept despite its POS)."""
    if not re.fullmatch(r"[a-z]+(-[a-z]+)?", word) or word in EXCLUDED_ADJECTIVES:
        return False
    if abs(valence) < ADJ_MIN_VALENCE or word not in src.index["adj"] or src.zipf(word) < ADJ_MIN_ZIPF:
        return False
    other = max(pos_score(src.index[pos], word) for pos in ("adv", "noun", "verb"))
    return pos_score(src.index["adj"], word) >= other or word in ADJECTIVE_DESPITE_POS


def build_adjectives(src: Sources) -> dict[str, tuple]:
    """word -> (word, polarity, valence, zipf, scope, source)."""
    adjectives: dict[str, tuple] = {}
    for word, valence in src.vader.items():
        if is_review_adjective(src, word, valence):
            adjectives[word] = (word, polarity_of(valence), valence, src.zipf(word), scope_of(word), "vader")
    for word in sorted(ADJECTIVE_DESPITE_POS):
        if word in src.vader and word not in adjectives:
            valence = src.vader[word]
            adjectives[word] = (word, polarity_of(valence), valence, src.zipf(word), scope_of(word), "vader")
    for word, valence in CURATED_ADJECTIVES.items():
        if word in adjectives and adjectives[word][5] == "vader":
            continue  # VADER already has it: its valence wins
        adjectives[word] = (word, polarity_of(valence), valence, src.zipf(word), scope_of(word), "curated")
    # A state adjective is the experiencer's side of a stimulus verb; keep it consistent.
    for row in adjectives.values():
        if row[4] == "state" and row[1] != polarity_of(row[2]):
            fail(f"inconsistent polarity for {row[0]}")
    return adjectives


def derived_adverb(src: Sources, adverb: str, row: tuple) -> tuple | None:
    """The adverb of an adjective row if WordNet knows it, it is common enough and its polarity agrees."""
    if adverb in EXCLUDED_ADVERBS or adverb not in src.index["adv"]:
        return None
    z = src.zipf(adverb)
    if z < 2.3:
        return None
    valence = src.vader.get(adverb, row[2])
    if polarity_of(valence) != row[1]:
        return None
    return (adverb, row[1], valence, z, "vader" if adverb in src.vader else "derived")


def build_adverbs(src: Sources, adjectives: dict[str, tuple]) -> dict[str, tuple]:
    """adverb -> (word, polarity, valence, zipf, source)."""
    adverbs: dict[str, tuple] = {}
    for word, row in adjectives.items():
        if row[4] == "state" or "-" in word:
            continue
        for adverb in adverb_forms(word):
            derived = derived_adverb(src, adverb, row)
            if derived is not None:
                adverbs[adverb] = derived
    for adverb, valence in CURATED_ADVERBS.items():
        if adverb in src.vader:
            valence_used, source = src.vader[adverb], "vader"
        else:
            valence_used, source = valence, "curated"
        if polarity_of(valence_used) != polarity_of(valence):
            valence_used, source = valence, "curated"
        adverbs[adverb] = (adverb, polarity_of(valence_used), valence_used, src.zipf(adverb), source)
    return adverbs


def build_verbs(src: Sources) -> list[tuple]:
    """(base, past, third, polarity, valence, zipf, frame, source) rows."""
    verbs = []
    for base, (past, third, frame, fallback) in VERBS.items():
        valence = src.vader.get(base, fallback)
        source = "vader" if base in src.vader else "curated"
        if polarity_of(valence) != polarity_of(fallback):
            valence, source = fallback, "curated"
        verbs.append((base, past, third, polarity_of(valence), valence, src.zipf(base), frame, source))
    return verbs


def build_nouns(src: Sources) -> list[tuple]:
    """(word, polarity, valence, zipf, source) rows of the evaluative nouns."""
    nouns = []
    for word, fallback in NOUNS.items():
        vader = src.vader
        if word in vader and word not in NOUN_VALENCE_OVERRIDES and polarity_of(vader[word]) == polarity_of(fallback):
            valence, source = vader[word], "vader"
        else:
            valence, source = fallback, "curated"
        nouns.append((word, polarity_of(valence), valence, src.zipf(word), source))
    return nouns


def neutral_category(src: Sources, word: str, offsets: list[str], sentiment_words: set[str]) -> str | None:
    """The filler category of a WordNet noun (food, animal, plant, person, object, place), or None to skip it."""
    if not re.fullmatch(r"[a-z]+", word) or word in src.vader or word in EXCLUDED_NEUTRAL:
        return None
    if word in sentiment_words or any(word in src.index[pos] for pos in ("adj", "adv", "verb")):
        return None
    if word.endswith("s") and word[:-1] in src.index["noun"]:
        return None  # a plural ("colours", "seats"): filler templates want "a colour"
    lexfile, forms, _ = src.synsets[offsets[0]]
    category = LEXNAMES.get(lexfile)
    if category is None:
        return None
    if category == "artifact":
        category = artifact_category(offsets[0], src.synsets)
    if next((form for form in forms if form.lower() == word), word) != word:
        return None  # the commonest sense is a proper noun ("Turkey", "Robin")
    return category


def build_neutral(src: Sources, sentiment_words: set[str]) -> list[tuple]:
    """(word, category, zipf) rows of the neutral filler nouns."""
    neutral = []
    for word, (_, _, offsets) in src.index["noun"].items():
        category = neutral_category(src, word, offsets, sentiment_words)
        if category is None:
            continue
        z = src.zipf(word)
        if z >= NEUTRAL_MIN_ZIPF[category]:
            neutral.append((word, category, z))
    return neutral


def build_heldout(adjectives: dict[str, tuple], neutral: list[tuple]) -> list[tuple]:
    """Held-out words for the unknown_words subset: a stable hash picks them, never the commonest."""
    heldout = []
    for word, row in sorted(adjectives.items()):
        if row[5] != "vader" or row[4] == "state" or row[3] >= HELDOUT_MAX_ZIPF:
            continue
        if stable_fraction(word, "adj") < 2 * HELDOUT_SHARE:
            heldout.append((word, "adjective"))
    for word, category, z in sorted(neutral):
        if category in HELDOUT_CATEGORIES and z < HELDOUT_MAX_ZIPF and stable_fraction(word, "neutral") < HELDOUT_SHARE:
            heldout.append((word, "neutral"))
    return heldout


def build() -> dict[str, list[tuple]]:
    """Every table's rows, sorted as written."""
    src = Sources(
        vader=load_vader(),
        zipf=zipf_function(),
        index={pos: load_wordnet_index(pos) for pos in ("adj", "adv", "noun", "verb")},
        synsets=load_wordnet_nouns(),
    )
    adjectives = build_adjectives(src)
    adverbs = build_adverbs(src, adjectives)
    verbs = build_verbs(src)
    nouns = build_nouns(src)
    sentiment_words = set(adjectives) | set(adverbs) | {v[0] for v in verbs} | {n[0] for n in nouns}
    neutral = build_neutral(src, sentiment_words)
    return {
        "adjectives": sorted(adjectives.values()),
        "adverbs": sorted(adverbs.values()),
        "verbs": sorted(verbs),
        "nouns": sorted(nouns),
        "neutral_nouns": sorted(neutral, key=lambda row: (row[1], row[0])),
        "heldout": build_heldout(adjectives, neutral),
    }


HEADERS = {
    "adjectives": ("word", "polarity", "valence", "frequency", "scope", "source"),
    "adverbs": ("word", "polarity", "valence", "frequency", "source"),
    "verbs": ("base", "past", "third", "polarity", "valence", "frequency", "frame", "source"),
    "nouns": ("word", "polarity", "valence", "frequency", "source"),
    "neutral_nouns": ("word", "category", "frequency"),
    "heldout": ("word", "kind"),
}


def frequency_band(zipf: float) -> str:
    """Only this coarse band of wordfreq's estimate is written: "common", "medium" or "rare"."""
    return "common" if zipf >= 4.5 else "medium" if zipf >= 3.5 else "rare"


def write(name: str, rows: list[tuple], folder: Path) -> Path:
    path = folder / f"{name}.tsv"
    header = HEADERS[name]
    if "frequency" in header:
        at = header.index("frequency")
        rows = [row[:at] + (frequency_band(row[at]),) + row[at + 1 :] for row in rows]
    lines = [
        "# Generated by scripts/make_lexicon.py from VADER 3.3.2, wordfreq 3.1.1 and WordNet 3.0; do not edit.",
        "\t".join(header),
    ]
    for row in rows:
        lines.append("\t".join(f"{value:.2f}" if isinstance(value, float) else str(value) for value in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write into (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--check", action="store_true", help="compare --out's files with the committed ones")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    differ = []
    for name, rows in build().items():
        path = write(name, rows, args.out)
        print(f"{path}: {len(rows)} rows")
        if args.check and path.read_bytes() != (OUT / path.name).read_bytes():
            differ.append(path.name)
    if args.check:
        print("differ from the committed files: " + ", ".join(differ) if differ else "identical to the committed files")
        raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
