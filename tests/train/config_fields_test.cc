// The table of configuration fields: every field of TrainConfig is in it once, its text round
// trip is exact, its checks refuse what validate refuses, and messages name fields so that a
// front end can rename them.
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/sync/strategies.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

// The message of the ConfigError fn throws, with the fields named by `name_of` ("" if none).
template <typename Fn>
std::string refusal(Fn fn, const FieldNamer& name_of = {}) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.named(name_of);
  }
  return "";
}

TEST(ConfigFields, NamesFlagsAndKeywordsAreUnique) {
  std::set<std::string_view> names, keywords, flags;
  for (const ConfigField& f : config_fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    EXPECT_TRUE(flags.insert(f.flags).second) << f.flags;
    if (!f.keyword.empty()) EXPECT_TRUE(keywords.insert(f.keyword).second) << f.keyword;
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_EQ(find_config_field(f.name), &f);
    if (!f.keyword.empty()) EXPECT_EQ(find_config_keyword(f.keyword), &f);
    if (f.type == FieldType::kChoice) EXPECT_GE(f.choices.size(), 2U) << f.name;
  }
  EXPECT_EQ(find_config_field("nope"), nullptr);
  EXPECT_EQ(find_config_keyword("batch"), nullptr);  // Python calls it batch_size
  EXPECT_EQ(find_config_keyword("batch_size")->name, "batch");
}

TEST(ConfigFields, TheJsonHoldsEveryFieldAndItsDefault) {
  const TrainConfig defaults;
  const nlohmann::json j = to_json(defaults);
  EXPECT_EQ(j.size(), config_fields().size());
  EXPECT_EQ(j.at("batch"), 8192);
  EXPECT_EQ(j.at("lr"), 0.1);
  EXPECT_EQ(j.at("lr_step_epochs"), 2.0);
  EXPECT_EQ(j.at("schedule"), "constant");
  EXPECT_EQ(j.at("sync_every"), 1);
  EXPECT_EQ(j.at("target_every"), "epoch");
  EXPECT_TRUE(j.at("target_accuracy").is_null());
  EXPECT_EQ(j.at("after_target"), "stop");
  EXPECT_EQ(j.at("bias"), true);
  EXPECT_EQ(default_text(*find_config_field("lr")), "0.1");
  EXPECT_EQ(default_text(*find_config_field("shuffle")), "false");
  EXPECT_EQ(default_text(*find_config_field("target_loss")), "none");
}

// Each field's value, written as text and set again, is the same value (so that the command
// line, Python and a config's JSON set the same bits).
TEST(ConfigFields, TextRoundTripsExactly) {
  TrainConfig c;
  set_field(c, "lr", "0.30000000000000004");
  set_field(c, "l2", "1e-300");
  set_field(c, "sync_every", "epoch");
  set_field(c, "target_accuracy", "0.77");
  set_field(c, "schedule", "inverse-sqrt");
  set_field(c, "bias", "false");
  set_field(c, "seed", "18446744073709551615");
  for (const ConfigField& f : config_fields()) {
    TrainConfig again;
    set_field(again, f, value_text(f, c));
    EXPECT_EQ(f.load(again), f.load(c)) << f.name;
  }
  EXPECT_EQ(c.lr, 0.30000000000000004);
  EXPECT_EQ(c.seed, 18446744073709551615ULL);
  EXPECT_EQ(c.schedule, LrSchedule::kInverseSqrt);
  EXPECT_FALSE(c.bias);
  EXPECT_EQ(c.sync_every, kSyncEveryEpoch);
}

TEST(ConfigFields, BadTextIsRefusedNamingTheField) {
  TrainConfig c;
  EXPECT_EQ(refusal([&] { set_field(c, "epochs", "1.5"); }), "epochs: expected a whole number, got '1.5'");
  EXPECT_EQ(refusal([&] { set_field(c, "batch", "0"); }), "batch: must be a whole number of at least 1, got 0");
  EXPECT_EQ(refusal([&] { set_field(c, "lr", "-1"); }), "lr: must be a number greater than 0, got -1");
  EXPECT_EQ(refusal([&] { set_field(c, "lr", "nan"); }), "lr: expected a number, got 'nan'");
  EXPECT_EQ(refusal([&] { set_field(c, "lr", "inf"); }), "lr: must be a number greater than 0, got inf");
  EXPECT_EQ(refusal([&] { set_field(c, "lr_step_factor", "1.5"); }),
            "lr_step_factor: must be a number in (0, 1], got 1.5");
  EXPECT_EQ(refusal([&] { set_field(c, "workers", "5000"); }), "workers: must be a whole number in [1, 4096], got 5000");
  EXPECT_EQ(refusal([&] { set_field(c, "schedule", "cosine"); }),
            "schedule: expected one of constant, inverse-sqrt, step, got 'cosine'");
  EXPECT_EQ(refusal([&] { set_field(c, "overlap", "yes"); }), "overlap: expected true or false, got 'yes'");
  EXPECT_EQ(refusal([&] { set_field(c, "target_accuracy", "0"); }),
            "target_accuracy: must be a number in (0, 1], got 0");
  EXPECT_EQ(refusal([&] { set_field(c, "epochs", "99999999999999999999999"); }),
            "epochs: 99999999999999999999999 is out of range");
  EXPECT_EQ(refusal([&] { set_field(c, "speed", "1"); }), "unknown training option 'speed'");
  EXPECT_EQ(c.epochs, TrainConfig{}.epochs);  // nothing refused was stored
  EXPECT_EQ(c.lr, TrainConfig{}.lr);
}

// validate() checks every field's range with the table's rule, and check_config the rules of
// the strategies too, naming the fields as each front end names them.
TEST(ConfigFields, ValidateNamesFieldsAsTheFrontEndDoes) {
  TrainConfig c;
  c.batch = 0;
  const FieldNamer flags = [](std::string_view f) { return "--" + std::string(f); };
  EXPECT_EQ(refusal([&] { c.validate(); }, flags), "--batch: must be a whole number of at least 1, got 0");
  c.batch = 1;
  c.overlap = true;
  c.sync_every = 4;
  EXPECT_EQ(refusal([&] { check_config(c); }),
            "overlap hides each step's exchange; with sync_every 4 the steps between averages exchange nothing");
  EXPECT_EQ(refusal([&] { check_config(c); }, flags),
            "--overlap hides each step's exchange; with --sync_every 4 the steps between averages exchange nothing");
  c.overlap = false;
  c.sync_every = 1;
  c.target_loss = std::nan("");
  EXPECT_NO_THROW(c.validate());
  c.workers = 0;
  EXPECT_EQ(refusal([&] { c.validate(); }), "workers: must be a whole number in [1, 4096], got 0");
}

TEST(ConfigFields, HelpNamesOtherFieldsByTheFrontEndsNames) {
  const ConfigField& batch = *find_config_field("batch");
  EXPECT_EQ(field_help(batch, {}), "Rows per worker per step; the global batch is workers x batch");
  EXPECT_EQ(field_help(batch, [](std::string_view f) { return "<" + std::string(f) + ">"; }),
            "Rows per worker per step; the global batch is <workers> x <batch>");
  EXPECT_EQ(rule_text(*find_config_field("sync_every")), "a positive number of steps, or epoch");
  EXPECT_EQ(rule_text(*find_config_field("optimizer")), "one of sgd, adagrad");
}

TEST(FieldMarks, WhatNamesFieldsAndNamedRenamesThem) {
  const ConfigError e("lower " + field("lr") + " or raise " + field("batch"));
  EXPECT_STREQ(e.what(), "lower lr or raise batch");
  EXPECT_EQ(e.named([](std::string_view f) { return std::string(f == "lr" ? "learning_rate" : "batch_size"); }),
            "lower learning_rate or raise batch_size");
  // Text that is not a mark stays as it is.
  EXPECT_EQ(name_fields("a \x02not a name\x03 b \x02", {}), "a \x02not a name\x03 b \x02");
}

}  // namespace
}  // namespace dsgd
