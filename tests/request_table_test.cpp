#include "test_support.hpp"

#include <tandem/actors/detail/request_table.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

namespace {

// A move-only value that knows whether it was moved from, like the
// continuations the table holds.
struct payload {
  std::unique_ptr<int> v;
};

} // namespace

BOOST_AUTO_TEST_SUITE(request_table)

BOOST_AUTO_TEST_CASE(matches_a_reference_through_random_operations) {
  tandem::detail::request_table<payload> table;
  std::unordered_map<std::uint64_t, int> model;
  std::mt19937_64 rng(3);
  std::uint64_t next_id = 0;
  std::vector<std::uint64_t> live;
  for (int step = 0; step < 200'000; ++step) {
    auto op = rng() % 100;
    // Phases of growth and shrinkage, so the table grows and shrinks too.
    bool growing = (step / 20'000) % 2 == 0;
    if (op < (growing ? 60u : 30u)) {
      auto id = ++next_id;
      table[id].v = std::make_unique<int>(static_cast<int>(id));
      model[id] = static_cast<int>(id);
      live.push_back(id);
    } else if (!live.empty()) {
      // Mostly the oldest (responses in order), sometimes any.
      std::size_t k = rng() % 4 == 0 ? rng() % live.size() : 0;
      auto id = live[k];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
      payload out;
      BOOST_REQUIRE(table.take(id, out));
      BOOST_REQUIRE(out.v != nullptr);
      BOOST_REQUIRE_EQUAL(*out.v, model[id]);
      model.erase(id);
      BOOST_REQUIRE(!table.take(id, out)); // a late response finds nothing
    }
    BOOST_REQUIRE_EQUAL(table.size(), model.size());
    if (step % 997 == 0)
      for (auto& [id, value] : model) {
        auto* p = table.find(id);
        BOOST_REQUIRE(p != nullptr);
        BOOST_REQUIRE_EQUAL(*p->v, value);
      }
  }
  std::size_t drained = 0;
  table.drain([&](std::uint64_t id, payload& p) {
    BOOST_REQUIRE_EQUAL(*p.v, model.at(id));
    ++drained;
  });
  BOOST_CHECK_EQUAL(drained, model.size());
  BOOST_CHECK(table.empty());
  BOOST_CHECK(table.find(1) == nullptr);
}

BOOST_AUTO_TEST_CASE(operator_brackets_finds_an_existing_entry) {
  tandem::detail::request_table<int> table;
  table[7] = 1;
  table[7] += 1;
  BOOST_CHECK_EQUAL(table.size(), 1u);
  BOOST_CHECK_EQUAL(*table.find(7), 2);
}

BOOST_AUTO_TEST_SUITE_END()
