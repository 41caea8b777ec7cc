#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <tandem/log.h>

TEST(Log, NamedTandemAndQuietByDefault) {
  spdlog::logger& log = tandem::logger();
  EXPECT_EQ(log.name(), "tandem");
  EXPECT_EQ(spdlog::get("tandem").get(), &log);
  if (std::getenv("TANDEM_LOG_LEVEL") == nullptr) {
    EXPECT_EQ(log.level(), spdlog::level::warn);
    EXPECT_FALSE(log.should_log(spdlog::level::info));
  }
}
