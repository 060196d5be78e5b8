// Invented movie titles of the demo data (see demo_titles.hpp).
#include "demo_titles.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

// Word lists of the invented titles. Each pattern below has its own shape (a leading "The",
// "of", "'s", two words, a preposition) and no list repeats a word, so distinct combinations give
// distinct titles.
constexpr std::array<const char*, 64> kAdjectives = {
    "Silent",  "Crimson", "Golden",    "Broken",    "Hidden",  "Last",     "Lost",     "Midnight",
    "Burning", "Frozen",  "Distant",   "Wild",      "Quiet",   "Electric", "Hollow",   "Restless",
    "Bitter",  "Velvet",  "Iron",      "Silver",    "Scarlet", "Endless",  "Savage",   "Gentle",
    "Lonely",  "Fading",  "Shattered", "Forgotten", "Eternal", "Northern", "Sleeping", "Wandering",
    "Dark",    "Bright",  "Cold",      "Final",     "Little",  "Great",    "Sweet",    "Crooked",
    "Painted", "Stolen",  "Invisible", "Falling",   "Rising",  "Black",    "White",    "Blue",
    "Emerald", "Amber",   "Copper",    "Paper",     "Haunted", "Hungry",   "Reckless", "Perfect",
    "Strange", "Second",  "Twisted",   "Neon",      "Lucky",   "Secret",   "Southern", "Wicked"};
constexpr std::array<const char*, 80> kNouns = {
    "Harbor",   "River",      "Garden",    "Mountain",    "Road",    "House",    "City",
    "Island",   "Kingdom",    "Forest",    "Bridge",      "Tower",   "Station",  "Horizon",
    "Valley",   "Lighthouse", "Castle",    "Ocean",       "Train",   "Hotel",    "Empire",
    "Letter",   "Promise",    "Stranger",  "Detective",   "Soldier", "Painter",  "Widow",
    "Doctor",   "Gambler",    "Pilot",     "Sailor",      "Dancer",  "Prince",   "Queen",
    "Thief",    "Witness",    "Hunter",    "Drifter",     "Teacher", "Frontier", "Circus",
    "Orchard",  "Carnival",   "Machine",   "Mirror",      "Window",  "Garage",   "Diner",
    "Motel",    "Canyon",     "Lagoon",    "Meadow",      "Harvest", "Voyage",   "Escape",
    "Heist",    "Verdict",    "Rebellion", "Summer",      "Winter",  "Autumn",   "Crossing",
    "Affair",   "Game",       "Compass",   "Lantern",     "Violin",  "Telegram", "Suitcase",
    "Engine",   "Citadel",    "Monastery", "Observatory", "Factory", "Ballroom", "Fortress",
    "Paradise", "Saint",      "Museum"};
constexpr std::array<const char*, 48> kAbstracts = {
    "Shadows",  "Fire",     "Dreams",  "Thunder", "Ashes",     "Tomorrow", "Silence",  "Stars",
    "Glass",    "Smoke",    "Rain",    "Dust",    "Gold",      "Blood",    "Honor",    "Sorrow",
    "Echoes",   "Whispers", "Lies",    "Wolves",  "Roses",     "Bones",    "Ghosts",   "Lightning",
    "Salt",     "Steel",    "Fortune", "Mercy",   "Vengeance", "Desire",   "Memory",   "Heaven",
    "Twilight", "Dawn",     "Storms",  "Waves",   "Sparrows",  "Thorns",   "Diamonds", "Kings",
    "Angels",   "Sinners",  "Giants",  "Love",    "Glory",     "Danger",   "Music",    "Snow"};
constexpr std::array<const char*, 40> kNames = {
    "Margaret",  "Henry",  "Clara", "Victor", "Eleanor", "Samuel", "Rosa",     "Oscar",
    "Lucia",     "Walter", "Nadia", "Felix",  "Irene",   "Arthur", "Greta",    "Hugo",
    "Vera",      "Leo",    "Mabel", "Tobias", "Ingrid",  "Rufus",  "Delia",    "Emil",
    "Josephine", "Abel",   "Marta", "Cyrus",  "Helena",  "Otto",   "Beatrice", "Silas",
    "Yvonne",    "Jasper", "Olive", "Milo",   "Esther",  "Conrad", "Ruth",     "Dexter"};
constexpr std::array<const char*, 32> kPlaces = {
    "Lisbon",    "Tokyo",   "Havana",  "Berlin",  "Marrakesh", "Vienna",   "Cairo",
    "Oslo",      "Manila",  "Dakar",   "Lima",    "Bombay",    "Prague",   "Istanbul",
    "Montreal",  "Sydney",  "Naples",  "Tangier", "Shanghai",  "Budapest", "Casablanca",
    "Reykjavik", "Nairobi", "Seville", "Athens",  "Kyoto",     "Odessa",   "Valparaiso",
    "Dublin",    "Macau",   "Tucson",  "Memphis"};
constexpr std::array<const char*, 4> kPrepositions = {"in", "over", "under", "after"};

constexpr std::uint64_t kA = kAdjectives.size();
constexpr std::uint64_t kN = kNouns.size();
constexpr std::uint64_t kB = kAbstracts.size();
constexpr std::uint64_t kP = kNames.size();
constexpr std::uint64_t kL = kPlaces.size();
constexpr std::uint64_t kR = kPrepositions.size();
// Title patterns and how many titles each can make.
constexpr std::array<std::uint64_t, 5> kPatternSizes = {
    kA * kN,     // The <adjective> <noun>
    kN* kB,      // <noun> of <abstract>
    kP* kN,      // <name>'s <noun>
    kA* kB,      // <adjective> <abstract>
    kB* kR* kL,  // <abstract> <preposition> <place>
};
constexpr std::uint64_t kTitleSpace =
    kPatternSizes[0] + kPatternSizes[1] + kPatternSizes[2] + kPatternSizes[3] + kPatternSizes[4];

}  // namespace

std::uint64_t demo_title_space() { return kTitleSpace; }

std::string roman_numeral(std::uint64_t n) {
    static constexpr std::array<std::pair<std::uint64_t, const char*>, 13> kDigits = {{{1000, "M"},
                                                                                       {900, "CM"},
                                                                                       {500, "D"},
                                                                                       {400, "CD"},
                                                                                       {100, "C"},
                                                                                       {90, "XC"},
                                                                                       {50, "L"},
                                                                                       {40, "XL"},
                                                                                       {10, "X"},
                                                                                       {9, "IX"},
                                                                                       {5, "V"},
                                                                                       {4, "IV"},
                                                                                       {1, "I"}}};
    std::string out;
    for (const auto& [value, digits] : kDigits) {
        while (n >= value) {
            out += digits;
            n -= value;
        }
    }
    return out;
}

std::string demo_title_words(std::uint64_t c) {
    std::size_t pattern = 0;
    while (c >= kPatternSizes[pattern]) {
        c -= kPatternSizes[pattern];
        ++pattern;
    }
    std::string t;
    switch (pattern) {
        case 0:
            t = std::string("The ") + kAdjectives[c / kN] + " " + kNouns[c % kN];
            break;
        case 1:
            t = std::string(kNouns[c / kB]) + " of " + kAbstracts[c % kB];
            break;
        case 2:
            t = std::string(kNames[c / kN]) + "'s " + kNouns[c % kN];
            break;
        case 3:
            t = std::string(kAdjectives[c / kB]) + " " + kAbstracts[c % kB];
            break;
        default:
            t = std::string(kAbstracts[c / (kR * kL)]) + " " + kPrepositions[(c / kL) % kR] + " " +
                kPlaces[c % kL];
            break;
    }
    return t;
}

}  // namespace movie_recs::core
